"""The transport interface: like Django's email backends, one small class per provider.

Only modules in this package import `twilio` or `firebase_admin`. The rest of the code builds
`SmsMessage` / `PushMessage` values, calls `send_batch`, and gets one `SendResult` per message, in order.
"""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class Outcome(StrEnum):
    SENT = "sent"  # the provider accepted it (provider_id set)
    PERMANENT = "permanent"  # will never work: invalid number, unregistered token, opted out
    TRANSIENT = "transient"  # not sent; safe to retry later (retry_after when the provider said)
    UNKNOWN = "unknown"  # the request may have reached the provider (timeout): never blind-resend


@dataclass(frozen=True)
class SmsMessage:
    key: str  # our delivery id: carried in the status callback URL, used to reconcile
    to: str  # E.164
    body: str
    validity_seconds: int | None = None


@dataclass(frozen=True)
class PushMessage:
    key: str  # our delivery id
    token: str  # FCM registration token
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)
    collapse_key: str = ""  # the alert: a newer message for the same alert replaces the older one
    urgent: bool = False


@dataclass(frozen=True)
class SendResult:
    key: str
    outcome: Outcome
    provider_id: str = ""
    error_code: str = ""
    retry_after: float | None = None
    # Permanent failures that mean "stop using this recipient": unregistered token, opted-out number.
    deactivate_recipient: bool = False
    segments: int | None = None


class LookupUnavailable(Exception):
    """The provider could not be asked what it sent (find_sent): decide later, never guess."""


class SmsBackend(Protocol):
    def send_batch(self, messages: Sequence[SmsMessage]) -> list[SendResult]: ...


class PushBackend(Protocol):
    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]: ...


# Told a chunk's results (its index in the call, the results in order) as soon as they are all in.
Settled = Callable[[int, list[SendResult]], None]


def send_stream(backend: PushBackend, chunks: Iterable[Sequence[PushMessage]],
                settled: Settled | None = None) -> list[SendResult]:  # fmt: skip
    """One call for messages handed over a chunk at a time, with one result per message, in order.

    A backend with its own `send_stream` takes the next chunk only when it is about to run out of work
    (taking a chunk is what claims its deliveries: a worker killed during the call then leaves few claimed
    messages that never left). Any other backend gets every chunk first, then one `send_batch`.
    A backend with `send_settling` (fcm_curl) also hands `settled` each chunk's results while the later
    chunks' requests are in flight, so that the caller records them meanwhile; the results of chunks it did
    not hand over (any other backend, or a call that raised) are only in what this returns.
    """
    settling = getattr(backend, "send_settling", None)
    if settled is not None and settling is not None:
        return settling(chunks, settled)
    own = getattr(backend, "send_stream", None)
    if own is not None:
        return own(chunks)
    messages = [message for chunk in chunks for message in chunk]
    return backend.send_batch(messages) if messages else []


# When (time.monotonic()) the current provider call must stop starting requests: those not started are given
# back as TRANSIENT "deadline" (never left, sent again at once). Set by the sender around an SMS call.
_deadline: ContextVar[float | None] = ContextVar("provider_call_deadline", default=None)


@contextmanager
def call_deadline(deadline: float | None) -> Iterator[None]:
    reset = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(reset)


def past_deadline() -> bool:
    deadline = _deadline.get()
    return deadline is not None and time.monotonic() > deadline


def not_started(key: str) -> SendResult:
    """A message its call's deadline kept from leaving: nothing reached the provider, so it goes again soon."""
    return SendResult(key, Outcome.TRANSIENT, error_code="deadline", retry_after=0.0)


@cache
def _load(path: str) -> object:
    return import_string(path)()


def get_sms_backend() -> SmsBackend:
    return _load(settings.SMS_BACKEND)  # type: ignore[return-value]


def get_push_backend() -> PushBackend:
    return _load(settings.PUSH_BACKEND)  # type: ignore[return-value]


def reset_backends() -> None:
    """Forget loaded backends (tests that change SMS_BACKEND/PUSH_BACKEND)."""
    _load.cache_clear()
