"""Deciding SMS that may or may not have left (status `checking`): a worker died inside a Twilio call, or
Twilio's answer was lost. Twilio has no idempotency key, but it keeps a record of every message it took:
an SMS found there (same number, same text, since the message was written, under a SID no other delivery
holds) is recorded as sent; one not found is sent again. A push needs none of this: its tag makes a second
copy replace the first.

The sender never starts an SMS after its call's deadline (sender.sms_start_deadline), so once a claim's
lease has run out no request of it can still reach Twilio: the record is final when it is read. A check
claims its rows like a send (token and lease), so two checks of one row never both decide it.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from providers.base import LookupUnavailable, get_sms_backend

from . import broker, composer
from .claims import superseded
from .models import Channel, Delivery, DeliveryStatus, Message
from .retrying import survives_database_loss
from .sender import publish_or_release

log = logging.getLogger(__name__)

RETRY_CHECK_SECONDS = 10.0  # Twilio could not be asked: ask again this much later
CHECK_LEASE_SECONDS = 60.0  # a check's hold on its rows (one list request per row, each with a timeout)


# The task (its name is fixed: queued messages use it).
# A lambda, so that each call looks the function up (tests replace it).
check_sms_task = survives_database_loss("notifications.tasks.check_sms", lambda ids: check_sms(ids))
CHECK_BATCH = 50  # SMS looked up in the provider's record per task: one list request each


def publish_checks(delivery_ids: Sequence[int]) -> int:
    """Publish tasks that ask the SMS provider whether these may-have-left SMS left; returns tasks published."""
    published = 0
    for batch in broker.chunks(delivery_ids, CHECK_BATCH):
        published += broker.publish(check_sms_task.name, [batch], None, what=f"check x{len(batch)}")
    return published


def check_sms(delivery_ids: Sequence[int]) -> dict[str, int]:
    token, rows = _claim(delivery_ids)
    if not rows:
        return {}
    find = getattr(get_sms_backend(), "find_sent", None)
    messages = Message.objects.in_bulk({d.message_id for d in rows})
    # "found": (delivery id, Twilio SID) pairs; the others: delivery ids.
    outcome: dict[str, list[Any]] = {"found": [], "resend": [], "later": [], "undecided": []}
    for row in rows:
        verdict, sid = _ask(find, row, messages[row.message_id])
        outcome[verdict].append((row.pk, sid) if verdict == "found" else row.pk)
    _record(token, outcome)
    report = {name: len(items) for name, items in outcome.items() if items}
    log.info("notifications: SMS checked with the provider %s", report)
    return report


def checkable() -> Q:
    """Checking, and held by no check (or by one that died)."""
    return Q(status=DeliveryStatus.CHECKING) & (Q(lease_until__isnull=True) | Q(lease_until__lt=timezone.now()))


def _claim(ids: Sequence[int]) -> tuple[uuid.UUID, list[Delivery]]:
    token, lease = uuid.uuid4(), timezone.now() + timedelta(seconds=CHECK_LEASE_SECONDS)
    Delivery.objects.filter(checkable(), channel=Channel.SMS, pk__any=list(ids)).update(claim_token=token, lease_until=lease)
    rows = (_held(token).annotate(phone=Cast("user__phone", CharField())).only("id", "message_id", "user_id")
            .order_by("id"))  # fmt: skip
    return token, list(rows)


def _held(token: uuid.UUID) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=DeliveryStatus.CHECKING, claim_token=token)


def _ask(find: object, row: Delivery, message: Message) -> tuple[str, str | None]:
    phone = getattr(row, "phone", "")
    if find is None or not phone:
        return "undecided", None
    sms = composer.sms_for(message, row.key, phone, composer.sms_text(message))
    try:
        sids = find(sms, message.created_at)  # type: ignore[operator]
    except LookupUnavailable as error:
        log.warning("notifications: the SMS provider could not be asked (%s); checking again later", error)
        return "later", None
    except Exception:
        log.exception("notifications: unreadable answer from the SMS provider; checking again later")
        return "later", None
    # A SID another delivery holds is another message with the same text (a reminder, a duplicate report).
    taken = set(Delivery.objects.filter(provider_id__in=sids).exclude(pk=row.pk).values_list("provider_id", flat=True))
    mine = [sid for sid in sids if sid not in taken]
    return ("found", mine[0]) if mine else ("resend", None)


def _record(token: uuid.UUID, outcome: dict[str, list[Any]]) -> None:
    now, released = timezone.now(), {"claim_token": None, "lease_until": None}
    for pk, sid in outcome["found"]:
        _held(token).filter(pk=pk).update(status=DeliveryStatus.SENT, provider_id=sid[:64], sent_at=now,
                                          error_code="", **released)  # fmt: skip
    _held(token).filter(pk__any=outcome["undecided"]).update(status=DeliveryStatus.UNKNOWN, error_code="undecided",
                                                             finished_at=now, **released)  # fmt: skip
    _held(token).filter(pk__any=outcome["later"]).update(not_before=now + timedelta(seconds=RETRY_CHECK_SECONDS),
                                                         dispatched_at=None, **released)  # fmt: skip
    resend = _held(token).filter(pk__any=outcome["resend"])
    # Never sent, and replaced by a follow-up since: the old alert stays unsent.
    resend.filter(superseded()).update(status=DeliveryStatus.CANCELLED, error_code="superseded", finished_at=now,
                                       **released)  # fmt: skip
    ids = sorted(resend.values_list("pk", flat=True))
    _held(token).filter(pk__any=ids).update(status=DeliveryStatus.PENDING, not_before=None, dispatched_at=now, **released)
    if ids:
        publish_or_release(Channel.SMS, ids)
