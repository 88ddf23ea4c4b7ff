"""Per-message summaries (MessageSummary): what a message achieved, in counts, kept after its deliveries.

Deliveries carry who was reached and are purged after NOTIFICATIONS_RETENTION_DAYS (privacy); a yearly
balance must still say how many were reached and what the SMS and calls cost. A summary is written once a
message has nothing left to go (`summarise_finished`, by beat) and in any case just before its deliveries are
purged (`summarise_before_purge`, called by the purge). A message not summarised yet is counted live, by the
same function, so that a balance reads the same before and after.
"""

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from communes.models import Follow, Membership, MembershipStatus

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


def figures_by_commune(message: Message) -> dict[int, Figures]:
    """The message's figures in each of its communes: all in its commune, or, over several communes (a warning
    to a territory), each person in one of them: the first (by id) they are a member of, else the first they
    follow. So a territory's sums count everyone once, and each commune the people it brought. Grouped
    queries, not a set per commune: a warning to a département has 300. People are counted once whatever their
    channels; SMS accepted by the provider and their parts, calls placed and their billed minutes are
    voice.voice_report's definitions."""
    live = _attributed(message).exclude(status=DeliveryStatus.CANCELLED)
    reached = live.filter(status__in=REACHED_DELIVERY_STATUSES)
    quick = reached.filter(sent_at__lte=message.created_at + REACH_WINDOW)
    recipients, got, soon = _people_by(live), _people_by(reached), _people_by(quick)
    sms = {row["attributed"]: row for row in reached.filter(channel=Channel.SMS).order_by().values("attributed").annotate(
        n=Count("id"), parts=Coalesce(Sum(Coalesce("segments", Value(1))), Value(0), output_field=IntegerField()))}
    called = set(live.filter(channel=Channel.VOICE).order_by().values_list("attributed", flat=True).distinct())
    calls = {commune_id: voice_report(live.filter(attributed=commune_id)) for commune_id in called}
    return {
        commune_id: Figures(
            recipients=recipients.get(commune_id, 0), reached=got.get(commune_id, 0),
            reached_within_5_minutes=soon.get(commune_id, 0),
            sms_sent=sms[commune_id]["n"] if commune_id in sms else 0,
            sms_segments=sms[commune_id]["parts"] if commune_id in sms else 0,
            calls=calls[commune_id]["sent"] if commune_id in calls else 0,
            call_minutes=calls[commune_id]["minutes"] if commune_id in calls else 0,
        )
        for commune_id in sorted(set(recipients) | {message.commune_id})
    }  # fmt: skip


def _people_by(deliveries: QuerySet[Any, Any]) -> dict[int, int]:
    rows = deliveries.order_by().values("attributed").annotate(n=Count("user_id", distinct=True))
    return {row["attributed"]: row["n"] for row in rows}


def _attributed(message: Message) -> QuerySet[Any, Any]:
    deliveries = Delivery.objects.filter(message=message)
    if not message.commune_ids:
        return deliveries.annotate(attributed=Value(message.commune_id, output_field=IntegerField()))
    ids = message.commune_ids
    member_of = Membership.objects.filter(user_id=OuterRef("user_id"), commune_id__in=ids,
                                          status=MembershipStatus.APPROVED).order_by("commune_id")  # fmt: skip
    follows = Follow.objects.filter(user_id=OuterRef("user_id"), commune_id__in=ids).order_by("commune_id")
    commune = Coalesce(Subquery(member_of.values("commune_id")[:1]), Subquery(follows.values("commune_id")[:1]),
                       Value(message.commune_id), output_field=IntegerField())  # fmt: skip
    # Typed loosely: the stubs cannot follow the annotation into the callers' filters on it.
    attributed: QuerySet[Any, Any] = deliveries.annotate(attributed=commune)
    return attributed


def summarise(message: Message, *, final: bool) -> list[MessageSummary]:
    found = figures_by_commune(message)
    with transaction.atomic():
        MessageSummary.objects.filter(message=message).exclude(commune_id__in=list(found)).delete()
        return [
            MessageSummary.objects.update_or_create(
                message=message, commune_id=commune_id,
                defaults={"kind": message.kind, "message_created_at": message.created_at, "final": final,
                          **asdict(figures)},
            )[0]
            for commune_id, figures in found.items()
        ]  # fmt: skip


def _not_final() -> Q:
    return ~Q(Exists(MessageSummary.objects.filter(message=OuterRef("pk"), final=True)))


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


@dataclass(frozen=True)
class Counted:
    """One message's figures in one commune (figures_of)."""

    message_id: int
    commune_id: int
    kind: str
    figures: Figures


def figures_of(messages: QuerySet[Message], communes: Collection[int] | None = None) -> list[Counted]:
    """Each message's figures in each of its communes (only those of `communes` if given): its summaries when
    written, else counted now from its deliveries."""
    stored = MessageSummary.objects.filter(message__in=messages.values("pk"))
    found = [Counted(s.message_id, s.commune_id, s.kind, Figures(**{field: getattr(s, field) for field in FIELDS}))
             for s in stored]  # fmt: skip
    summarised = {c.message_id for c in found}
    for message in messages.exclude(pk__in=summarised):
        found += [Counted(message.pk, commune_id, message.kind, figures)
                  for commune_id, figures in figures_by_commune(message).items()]  # fmt: skip
    return [c for c in found if communes is None or c.commune_id in communes]


def touching(communes: Collection[int]) -> Q:
    """Messages of these communes, or over several communes among which one of these (Message.commune_ids: a
    JSON list, which SQLite cannot search; such messages are few: read them and keep those that touch)."""
    wanted = set(communes)
    several = Message.objects.filter(commune_ids__isnull=False).exclude(commune_id__in=wanted)
    ids = [pk for pk, listed in several.values_list("pk", "commune_ids") if wanted & set(listed or [])]
    return Q(commune_id__in=wanted) | Q(pk__in=ids)


@shared_task(name="notifications.tasks.summarise_messages")
def summarise_messages() -> int:
    return summarise_finished()

