"""The embedded default, like Django's console email backend: what would be sent goes to stdout and to
ConsoleMessage rows (shown in the admin).

Written straight to sys.stdout, not logged (a developer needs to read the sign-in code), but stdout is a log
too: a Celery worker turns it into log records, a container's stdout is collected. So the number is always
masked (its last two digits) and what is sent — a sign-in code, an alert's text — is printed only with
DEBUG=true; the database rows keep everything for the demo's admin.
"""

import itertools
import sys
import threading
from collections.abc import Sequence

from django.conf import settings

from .base import Outcome, PushMessage, SendResult, SmsMessage
from .gsm import segments
from .models import ConsoleMessage

_SEPARATOR = "-" * 79
_TITLE_MAX = ConsoleMessage._meta.get_field("title").max_length or 200
_KEY_MAX = ConsoleMessage._meta.get_field("key").max_length or 64
_fallback_ids = itertools.count(1)


class _ConsoleBackend:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # one block per message on stdout, even from several threads

    def _write(self, blocks: list[str]) -> None:
        with self._lock:
            sys.stdout.write("".join(f"{block}\n{_SEPARATOR}\n" for block in blocks))
            sys.stdout.flush()

    @staticmethod
    def _results(keys: list[str], rows: list[ConsoleMessage], extra: list[dict]) -> list[SendResult]:
        # bulk_create returns primary keys on PostgreSQL and SQLite >= 3.35; a counter otherwise.
        return [SendResult(key, Outcome.SENT, provider_id=f"console-{row.pk or next(_fallback_ids)}", **more)
                for key, row, more in zip(keys, rows, extra, strict=True)]


class ConsoleSmsBackend(_ConsoleBackend):
    def send_batch(self, messages: Sequence[SmsMessage]) -> list[SendResult]:
        rows = ConsoleMessage.objects.bulk_create(
            ConsoleMessage(channel=ConsoleMessage.Channel.SMS, recipient=m.to, body=m.body, key=m.key[:_KEY_MAX])
            for m in messages
        )
        counts = [segments(m.body) for m in messages]
        self._write([f"SMS to {masked(m.to)} [{m.key}, {n} segment(s)]\n{_shown(m.body)}"
                     for m, n in zip(messages, counts, strict=True)])
        return self._results([m.key for m in messages], rows, [{"segments": n} for n in counts])


    def find_sent(self, message: SmsMessage, since: object) -> list[str]:
        """What the console 'sent' is in the database: found by the delivery's key (see reconcile.py)."""
        rows = ConsoleMessage.objects.filter(channel=ConsoleMessage.Channel.SMS, key=message.key[:_KEY_MAX])
        return [f"console-{pk}" for pk in rows.values_list("pk", flat=True)]


class ConsolePushBackend(_ConsoleBackend):
    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        rows = ConsoleMessage.objects.bulk_create(
            ConsoleMessage(channel=ConsoleMessage.Channel.PUSH, recipient=m.token, title=m.title[:_TITLE_MAX],
                           body=m.body, key=m.key[:_KEY_MAX])
            for m in messages
        )
        self._write([_push_block(m) for m in messages])
        return self._results([m.key for m in messages], rows, [{} for _ in messages])


def masked(phone: str) -> str:
    """`+33612345678` → `**********78`: enough to tell two test phones apart, not to call anyone."""
    return "*" * max(0, len(phone) - 2) + phone[-2:]


def _shown(text: str) -> str:
    return text if settings.DEBUG else "(text not shown: DEBUG is off)"


def _push_block(message: PushMessage) -> str:
    flags = ", urgent" if message.urgent else ""
    collapse = f", collapse {message.collapse_key}" if message.collapse_key else ""
    return (f"Push to device {message.token[:8]}... [{message.key}{flags}{collapse}] data={message.data}\n"
            f"{_shown(message.title)}\n{_shown(message.body)}")
