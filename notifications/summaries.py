"""Per-message summaries (MessageSummary): what a message achieved, in counts, kept after its deliveries.

Deliveries carry who was reached and are purged after NOTIFICATIONS_RETENTION_DAYS (privacy); a yearly
balance must still say how many were reached and what the SMS and calls cost. A summary is written once a
message has nothing left to go (`summarise_finished`, by beat) and in any case just before its deliveries are
purged (`summarise_before_purge`, called by the purge). A message not summarised yet is counted live, by the
same function, so that a balance reads the same before and after.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from celery import shared_task
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from .models import (
    ACTIVE_DELIVERY_STATUSES,
    REACHED_DELIVERY_STATUSES,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    MessageStatus,
    MessageSummary,
)
from .voice import voice_report

# "Reached within five minutes": the provider accepted one of the person's deliveries this soon after the
# message was written (a warning is urgent or it is nothing).
REACH_WINDOW = timedelta(minutes=5)
BATCH = 500


@dataclass(frozen=True)
class Figures:
    recipients: int = 0
    reached: int = 0
    reached_within_5_minutes: int = 0
    sms_sent: int = 0
    sms_segments: int = 0
    calls: int = 0
    call_minutes: int = 0


FIELDS = list(Figures.__dataclass_fields__)


def message_figures(message: Message) -> Figures:
    """The message's counts from its deliveries: people (each once, whatever their channels), SMS accepted by
    the provider and their parts, calls placed and their billed minutes (voice.voice_report's definitions)."""
    live = Delivery.objects.filter(message=message).exclude(status=DeliveryStatus.CANCELLED)
    reached = live.filter(status__in=REACHED_DELIVERY_STATUSES)
    quick = reached.filter(sent_at__lte=message.created_at + REACH_WINDOW)
    sms = reached.filter(channel=Channel.SMS).aggregate(
        n=Count("id"), parts=Coalesce(Sum(Coalesce("segments", Value(1))), Value(0), output_field=IntegerField())
    )
    calls = voice_report(live) if live.filter(channel=Channel.VOICE).exists() else None
    return Figures(
        recipients=_people(live), reached=_people(reached), reached_within_5_minutes=_people(quick),
        sms_sent=sms["n"], sms_segments=sms["parts"],
        calls=calls["sent"] if calls else 0, call_minutes=calls["minutes"] if calls else 0,
    )  # fmt: skip


def _people(deliveries: QuerySet[Delivery]) -> int:
    return deliveries.order_by().values("user_id").distinct().count()


def summarise(message: Message, *, final: bool) -> MessageSummary:
    figures = asdict(message_figures(message))
    summary, _ = MessageSummary.objects.update_or_create(
        message=message,
        defaults={"commune_id": message.commune_id, "kind": message.kind, "message_created_at": message.created_at,
                  "final": final, **figures},
    )  # fmt: skip
    return summary


def _not_final() -> Q:
    return ~Q(summary__final=True)


def summarise_finished(now: datetime | None = None) -> int:
    """Summarise (for good) the messages planned or cancelled that have nothing left to go."""
    going = Delivery.objects.filter(message=OuterRef("pk"), status__in=ACTIVE_DELIVERY_STATUSES)
    done = Message.objects.filter(_not_final(), status__in=[MessageStatus.PLANNED, MessageStatus.CANCELLED])
    done = done.exclude(Exists(going)).order_by("created_at")[:BATCH]
    return _summarise_all(done)


def summarise_before_purge(cutoff: datetime) -> int:
    """Before the purge deletes the deliveries of messages older than `cutoff`: what they achieved stays.

    Every such message is counted once more, final or not: a receipt may have come since it was summarised
    (an SMS reported undelivered), and this is the last time its deliveries can say so."""
    has_deliveries = Delivery.objects.filter(message=OuterRef("pk"))
    old = Message.objects.filter(Exists(has_deliveries), created_at__lt=cutoff).order_by("pk")
    written, last = 0, 0
    while batch := list(old.filter(pk__gt=last)[:BATCH]):
        written += _summarise_all(batch)
        last = batch[-1].pk
    return written


def _summarise_all(messages: Iterable[Message]) -> int:
    count = 0
    for message in messages:
        summarise(message, final=True)
        count += 1
    return count


def figures_of(messages: QuerySet[Message]) -> list[tuple[int, str, Figures]]:
    """Each message's commune, kind and figures: its summary when written, else counted now from its deliveries."""
    stored = list(MessageSummary.objects.filter(message__in=messages.values("pk")))
    found = [(s.commune_id, s.kind, Figures(**{field: getattr(s, field) for field in FIELDS})) for s in stored]
    for message in messages.exclude(pk__in=[s.message_id for s in stored]):
        found.append((message.commune_id, message.kind, message_figures(message)))
    return found


@shared_task(name="notifications.tasks.summarise_messages")
def summarise_messages() -> int:
    return summarise_finished()

