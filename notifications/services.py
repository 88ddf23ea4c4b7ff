"""The outbox: the notifications app's entry points for other apps.

Enqueue a message (the outbox row, in the caller's transaction), cancel what a follow-up replaces, report on a
message's deliveries. The outbox row is the job: if the broker is down when a request commits, the alert is
accepted anyway and the sweeper (notifications/sweeper.py) publishes the job later.

Where an alert goes: alerts.services (approve) → message_enqueue (here) → after commit, planner.publish_plan →
planner (who gets what) → sender.publish_or_release → sender (transports) → providers. Each step publishes the
next one's task itself, through broker.publish.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict, Unpack

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from communes.models import Commune

from . import composer, planner, voice
from .models import (
    ACTIVE_DELIVERY_STATUSES,
    REACHED_DELIVERY_STATUSES,
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    MessageKind,
    MessageSource,
    MessageStatus,
)

log = logging.getLogger(__name__)

ALL_CHANNELS = [Channel.PUSH.value, Channel.SMS.value, Channel.VOICE.value]


class MessageFields(TypedDict):
    """The arguments of message_enqueue and message_draft (roles aside) as a caller builds them once for both."""

    commune: Commune
    kind: MessageKind
    title: str
    body: str
    urgent: bool
    category: str | None
    neighbourhood_ids: list[int] | None
    channels: list[str] | None
    exclude_user_id: int | None
    source_type: MessageSource | None
    source_id: int | None
    replaces: Message | None


class DraftOptions(TypedDict, total=False):
    """message_draft's optional arguments, which message_enqueue passes on as they are."""

    urgent: bool
    category: str | None
    neighbourhood_ids: list[int] | None
    roles: list[str] | None
    channels: list[str] | None
    exclude_user_id: int | None
    source_type: MessageSource | None
    source_id: int | None
    replaces: Message | None
    audience: Audience
    thread_tag: str
    every_channel: bool
    commune_ids: list[int] | None


def message_enqueue(
    *, commune: Commune, kind: MessageKind, title: str, body: str, **options: Unpack[DraftOptions]
) -> Message:
    """Write the outbox row in the caller's transaction; planning starts once it commits."""
    message = message_draft(commune=commune, kind=kind, title=title, body=body, **options)
    message.save(force_insert=True)
    replaces = options.get("replaces")
    if replaces is not None:
        cancel_unsent(replaces)
    transaction.on_commit(lambda: planner.publish_plan(message.pk))
    return message


def message_draft(
    *,
    commune: Commune,
    kind: MessageKind,
    title: str,
    body: str,
    urgent: bool = False,
    category: str | None = None,
    neighbourhood_ids: list[int] | None = None,
    roles: list[str] | None = None,
    channels: list[str] | None = None,
    exclude_user_id: int | None = None,
    source_type: MessageSource | None = None,
    source_id: int | None = None,
    replaces: Message | None = None,
    audience: Audience = Audience.MEMBERS,
    thread_tag: str = "",
    every_channel: bool = False,
    commune_ids: list[int] | None = None,
) -> Message:
    """The outbox row message_enqueue writes, not saved: what a preview plans (message_preview).

    `audience` PUBLIC reaches followers too (a public warning); `thread_tag` is the push tag of a whole thread (a
    warning, its updates, its end replace each other on the phone); `every_channel` sends by every channel each
    person has, whatever they chose (a red warning: notifications.preferences); `commune_ids` reaches the people of
    several communes, each once (a warning over a territory), `commune` being one of them."""
    if kind not in MessageKind.values:
        raise ValueError(f"unknown message kind {kind!r}")
    if commune_ids and audience != Audience.PUBLIC:
        raise ValueError("only a public message reaches several communes")  # members' planning pages by membership
    wanted = [c for c in ALL_CHANNELS if channels is None or c in channels]
    return Message(
        commune=commune, kind=kind, title=title[:200], body=body, urgent=urgent, category=category or "",
        neighbourhood_ids=sorted(set(neighbourhood_ids)) if neighbourhood_ids else None, channels=wanted,
        roles=sorted(set(roles)) if roles else None,
        exclude_user_id=exclude_user_id, source_type=source_type or "", source_id=source_id, replaces=replaces,
        audience=audience, thread_tag=thread_tag, every_channel=every_channel,
        commune_ids=_several(commune, commune_ids),
    )  # fmt: skip


def _several(commune: Commune, commune_ids: list[int] | None) -> list[int] | None:
    """Null unless the message reaches more than its own commune: one commune keeps the planner's plain path."""
    ids = sorted({commune.pk, *(commune_ids or [])})
    return ids if len(ids) > 1 else None


@dataclass(frozen=True)
class MessagePreview:
    """What a message would do, before it is sent: whom it reaches by each channel, its SMS and their cost."""

    reach: planner.Reach
    sms: composer.SmsPreview | None  # None when the message sends no SMS
    sms_segments: int  # every SMS part it sends: its text's segments for each member texted
    sms_cost: Decimal  # those parts at SMS_SEGMENT_PRICE_EUR: an estimate, the carrier's bill decides
    calls: int = 0  # people it would call (reach.voice)
    call_minutes: int = 0  # the minutes those calls would take, each answered and heard to the end
    call_cost: Decimal = Decimal(0)  # those minutes at CALL_MINUTE_PRICE_EUR: an estimate, as for SMS


def message_preview(message: Message) -> MessagePreview:
    """Planned as the fan-out will plan it (planner.reach), composed as the sender will compose it."""
    reach = planner.reach(message)
    minutes = reach.voice * voice.minutes_per_call(message) if Channel.VOICE in message.channels else 0
    cost = minutes * call_minute_price()
    if Channel.SMS not in message.channels:
        return MessagePreview(reach=reach, sms=None, sms_segments=0, sms_cost=Decimal(0), calls=reach.voice,
                              call_minutes=minutes, call_cost=cost)  # fmt: skip
    sms = composer.sms_preview(message)
    parts = sms.shape.segments * reach.sms
    return MessagePreview(reach=reach, sms=sms, sms_segments=parts, sms_cost=parts * sms_segment_price(),
                          calls=reach.voice, call_minutes=minutes, call_cost=cost)  # fmt: skip


def call_minute_price() -> Decimal:
    """CALL_MINUTE_PRICE_EUR, through its text as sms_segment_price."""
    return Decimal(str(settings.CALL_MINUTE_PRICE_EUR))


def sms_segment_price() -> Decimal:
    # Through its text: a float's binary value (0.0725 is 0.07249999…) would show in the sums.
    return Decimal(str(settings.SMS_SEGMENT_PRICE_EUR))


@transaction.atomic
def cancel_unsent(message: Message) -> int:
    """A follow-up replaces `message`: what has not gone yet never will. Returns deliveries cancelled."""
    # Locking the message row serialises with a planner batch (which locks it too): either the batch
    # committed first and its rows are cancelled here, or it sees the message cancelled and stops.
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status in (MessageStatus.QUEUED, MessageStatus.PLANNING):
        Message.objects.filter(pk=locked.pk).update(status=MessageStatus.CANCELLED, lease_until=None)
    # Rows already claimed are inside a provider call: too late for them.
    return Delivery.objects.filter(message_id=locked.pk, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, finished_at=timezone.now()
    )


def message_for_source(source_type: MessageSource, source_id: int) -> Message | None:
    """The latest message sent for a source (e.g. an alert); follow-ups are their own source-less rows."""
    return (
        Message.objects.filter(source_type=source_type, source_id=source_id)
        .exclude(kind=MessageKind.FOLLOWUP)
        .order_by("-created_at")
        .first()
    )


class ChannelReport(TypedDict):
    sent: int
    delivered: int
    failed: int
    unknown: int


class DeliveryReport(TypedDict):
    """GET /alerts/{id}/deliveries (docs/API.md)."""

    recipients: int
    push: ChannelReport
    sms: ChannelReport
    voice: voice.VoiceReport
    pending: int
    delayed: bool
    delay_reason: str | None


DeliveryCounts = Mapping[tuple[str, str], int]  # (channel, status) → deliveries


@dataclass(frozen=True)
class ChannelTally:
    """One channel's deliveries, by what each status means; the one place that says it.

    `sent` counts what the provider accepted (including what it later confirmed as delivered),
    `delivered` only what it confirmed (SMS status callbacks; FCM never confirms), `failed` final
    failures, `unknown` sends whose outcome is not known (timeout after the request left),
    `pending` what is still to go (held by quiet hours, waiting for a retry, in flight, or being checked with
    the provider), `total` every delivery but the cancelled ones.
    """

    sent: int
    delivered: int
    failed: int
    unknown: int
    pending: int
    total: int

    @classmethod
    def of(cls, counts: DeliveryCounts, channel: str) -> "ChannelTally":
        got = {status: counts.get((channel, status), 0) for status in DeliveryStatus.values}
        return cls(
            sent=sum(got[s] for s in REACHED_DELIVERY_STATUSES),
            delivered=got[DeliveryStatus.DELIVERED],
            failed=got[DeliveryStatus.FAILED],
            unknown=got[DeliveryStatus.UNKNOWN],
            pending=sum(got[s] for s in ACTIVE_DELIVERY_STATUSES),
            total=sum(n for status, n in got.items() if status != DeliveryStatus.CANCELLED),
        )

    def report(self) -> ChannelReport:
        return {"sent": self.sent, "delivered": self.delivered, "failed": self.failed, "unknown": self.unknown}


def delivery_counts(deliveries: QuerySet[Delivery]) -> dict[tuple[str, str], int]:
    """{(channel, status): n} for these deliveries, in one grouped query."""
    rows = deliveries.order_by().values("channel", "status").annotate(n=Count("id"))
    return {(row["channel"], row["status"]): row["n"] for row in rows}


def empty_report() -> DeliveryReport:
    """The report of what was never handed to sending (an alert not approved): zero counts, not delayed."""
    none = ChannelTally(sent=0, delivered=0, failed=0, unknown=0, pending=0, total=0)
    return {"recipients": 0, "push": none.report(), "sms": none.report(),
            "voice": voice.voice_report(Delivery.objects.none()), "pending": 0, "delayed": False,
            "delay_reason": None}  # fmt: skip


def delivery_report(source_type: MessageSource, source_id: int) -> DeliveryReport:
    """The report of the latest message sent for a source (an alert), or the empty one if none was."""
    message = message_for_source(source_type, source_id)
    return empty_report() if message is None else message_report(message)


@dataclass(frozen=True)
class MessageFigures:
    """A message's deliveries at one instant, per channel (ChannelTally), and how many people they go to."""

    recipients: int
    push: ChannelTally
    sms: ChannelTally
    planning: bool  # still being planned: more deliveries are coming

    @property
    def pending(self) -> int:
        """Both channels' pending deliveries, plus one while planning: not done even if none is pending yet."""
        return self.push.pending + self.sms.pending + int(self.planning)


_UNPLANNED = (MessageStatus.QUEUED, MessageStatus.PLANNING)


def message_figures(message: Message) -> MessageFigures:
    status, counts, recipients = _snapshot(message)
    push, sms = ChannelTally.of(counts, Channel.PUSH), ChannelTally.of(counts, Channel.SMS)
    return MessageFigures(recipients=recipients, push=push, sms=sms, planning=status in _UNPLANNED)


def message_report(message: Message) -> DeliveryReport:
    """Counts for GET /alerts/{id}/deliveries: per channel (ChannelTally), and `recipients`.

    `pending` sums both channels' pending deliveries, plus one while the message is still being planned
    (more deliveries are coming). `delayed` says whether what is still to go is late, and `delay_reason` why
    (notifications.health): `broker_unavailable`, `provider_retrying` or `backlog`; null when not delayed.
    """
    figures = message_figures(message)
    reason = message_delay_reason(message)
    calls = voice.voice_report(Delivery.objects.filter(message=message))
    return {"recipients": figures.recipients, "push": figures.push.report(), "sms": figures.sms.report(),
            "voice": calls, "pending": figures.pending + calls["pending"], "delayed": reason is not None,
            "delay_reason": reason}  # fmt: skip


def latest_figures(source_type: MessageSource, source_ids: Iterable[int]) -> dict[int, MessageFigures]:
    """The figures of each source's latest message (the one message_for_source picks), for a page of a list:
    three queries whatever its length. Sources never sent have no entry."""
    latest: dict[int, tuple[int, str]] = {}
    messages = Message.objects.filter(source_type=source_type, source_id__in=list(source_ids))
    ordered = messages.exclude(kind=MessageKind.FOLLOWUP).order_by("created_at", "pk")
    for source_id, pk, status in ordered.values_list("source_id", "pk", "status"):
        if source_id is not None:  # always: filtered on it
            latest[source_id] = (pk, status)  # the last one written wins, as in message_for_source
    ids = [pk for pk, _ in latest.values()]
    counts: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    grouped = Delivery.objects.filter(message_id__in=ids).order_by().values("message_id", "channel", "status")
    for row in grouped.annotate(n=Count("id")):
        counts[row["message_id"]][(row["channel"], row["status"])] = row["n"]
    live = Delivery.objects.filter(~Q(status=DeliveryStatus.CANCELLED), message_id__in=ids).order_by()
    recipients = dict(live.values("message_id").annotate(n=Count("user_id", distinct=True)).values_list("message_id", "n"))
    return {
        source_id: MessageFigures(recipients=recipients.get(pk, 0), push=ChannelTally.of(counts[pk], Channel.PUSH),
                                  sms=ChannelTally.of(counts[pk], Channel.SMS), planning=status in _UNPLANNED)
        for source_id, (pk, status) in latest.items()
    }  # fmt: skip


def _snapshot(message: Message) -> tuple[str, dict[tuple[str, str], int], int]:
    """The message's status, its deliveries by channel and status, and its recipients, read at one instant:
    read one after the other while the planner commits batches, recipients could exceed the counts."""
    alone = not connection.in_atomic_block  # the isolation can only be set by a transaction's first statement
    with transaction.atomic():
        if alone and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        status = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first() or ""
        counts = delivery_counts(Delivery.objects.filter(message=message))
        return status, counts, _recipients(message)


def message_delay_reason(message: Message) -> str | None:
    """Why what the message still has to send is late (notifications.health.DELAY_REASONS), or None."""
    from .health import delay_reason

    return delay_reason(Message.objects.filter(pk=message.pk))


def _recipients(message: Message) -> int:
    live = ~Q(status=DeliveryStatus.CANCELLED)
    return Delivery.objects.filter(live, message=message).values("user_id").distinct().count()
