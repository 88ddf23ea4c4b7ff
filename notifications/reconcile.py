"""Deciding SMS that may or may not have left (status `checking`): a worker died inside a Twilio call, or
Twilio's answer was lost. Twilio has no idempotency key, but it keeps a record of every message it took:
an SMS found there (same number, same text, since the message was written) is recorded as sent; one not
found is sent again. A push needs none of this: its tag makes a second copy replace the first.

The sender never starts an SMS after its call's deadline (sender.sms_start_deadline), so once a claim's
lease has run out no request of it can still reach Twilio: the record is final when it is read.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from . import claims, composer
from .dispatch import publish_or_release
from .models import Channel, Delivery, DeliveryStatus, Message
from .transports.base import LookupUnavailable, get_sms_backend

log = logging.getLogger(__name__)

RETRY_CHECK_SECONDS = 10.0  # Twilio could not be asked: ask again this much later


def check_sms(delivery_ids: Sequence[int]) -> dict[str, int]:
    rows = list(Delivery.objects.filter(status=DeliveryStatus.CHECKING, channel=Channel.SMS, pk__any=list(delivery_ids))
                .annotate(phone=Cast("user__phone", CharField())).only("id", "message_id", "user_id"))  # fmt: skip
    if not rows:
        return {}
    find = getattr(get_sms_backend(), "find_sent", None)
    messages = Message.objects.in_bulk({d.message_id for d in rows})
    outcome: dict[str, list] = {"found": [], "resend": [], "later": [], "undecided": []}
    for row in rows:
        verdict, sid = _ask(find, row, messages[row.message_id])
        outcome[verdict].append((row.pk, sid) if verdict == "found" else row.pk)
    _record(outcome)
    report = {name: len(items) for name, items in outcome.items() if items}
    log.info("notifications: SMS checked with the provider %s", report)
    return report


def _ask(find: object, row: Delivery, message: Message) -> tuple[str, str | None]:
    phone = getattr(row, "phone", "")
    if find is None or not phone:
        return "undecided", None
    sms = composer.sms_for(message, row.key, phone, composer.sms_text(message))
    try:
        sid = find(sms, message.created_at)  # type: ignore[operator]
    except LookupUnavailable as error:
        log.warning("notifications: the SMS provider could not be asked (%s); checking again later", error)
        return "later", None
    return ("found", sid) if sid is not None else ("resend", None)


def _record(outcome: dict[str, list]) -> None:
    now, checking = timezone.now(), Delivery.objects.filter(status=DeliveryStatus.CHECKING)
    for pk, sid in outcome["found"]:
        checking.filter(pk=pk).update(status=DeliveryStatus.SENT, provider_id=sid[:64], sent_at=now, error_code="")
    checking.filter(pk__any=outcome["undecided"]).update(status=DeliveryStatus.UNKNOWN, error_code="undecided",
                                                         finished_at=now)  # fmt: skip
    later = checking.filter(pk__any=outcome["later"])
    expired = now - timedelta(seconds=claims.GIVE_UP_SECONDS)
    later.filter(created_at__lt=expired).update(status=DeliveryStatus.UNKNOWN, error_code="undecided", finished_at=now)
    later.update(not_before=now + timedelta(seconds=RETRY_CHECK_SECONDS), dispatched_at=None)
    resend = list(checking.filter(pk__any=outcome["resend"]).values_list("pk", flat=True))
    checking.filter(pk__any=resend).update(status=DeliveryStatus.PENDING, not_before=None, dispatched_at=now)
    if resend:
        publish_or_release(Channel.SMS, sorted(resend))
