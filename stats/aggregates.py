"""Counts computed in the database: approved reports by period and category, by year, moderation, deliveries.

Crime statistics are counted on `occurred_at` (when it happened, as the SSMSI counts facts), not on
`created_at` (when it was reported): a burglary found on Monday morning belongs to the weekend. Moderation
figures, which measure the moderators' work, are counted on `created_at`.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Count, DurationField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertStatus
from alerts.selectors import counted_reports
from communes.models import Commune, Follow, Membership, MembershipStatus
from notifications.models import (
    ACTIVE_DELIVERY_STATUSES,
    REACHED_DELIVERY_STATUSES,
    Channel,
    Delivery,
    DeliveryStatus,
    Message,
    MessageSource,
    MessageStatus,
)
from notifications.services import ChannelTally, delivery_counts
from notifications.voice import VoiceReport, voice_report
from vigilants.categories import BURGLARY_CATEGORIES, Category

from .periods import DateRange, Granularity, local_date, trunc

CATEGORIES: list[str] = list(Category.values)
BURGLARIES = [str(c) for c in BURGLARY_CATEGORIES]


def approved_reports(date_range: DateRange | None = None) -> QuerySet[Alert]:
    """What the statistics count (the rule is alerts.selectors.counted_reports), within a range of days."""
    return counted_reports(*date_range.bounds()) if date_range is not None else counted_reports()


def category_counts(commune: Commune, date_range: DateRange, granularity: Granularity) -> dict[date, dict[str, int]]:
    """{period start: {category: n}}: one grouped query; periods and categories without alerts are absent."""
    rows = (
        approved_reports(date_range).filter(commune=commune)
        .annotate(period=trunc(granularity)).values("period", "category").annotate(n=Count("id"))
    )  # fmt: skip
    counts: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        counts[local_date(row["period"])][row["category"]] = row["n"]
    return counts


def totals(commune: Commune, date_range: DateRange) -> dict[str, int]:
    """{"total", "burglaries"} for a range: the year-before comparison."""
    return (
        approved_reports(date_range)
        .filter(commune=commune)
        .aggregate(total=Count("id"), burglaries=Count("id", filter=Q(category__in=BURGLARIES)))
    )


def yearly_counts(commune: Commune, since: date | None = None) -> list[dict[str, int]]:
    """[{"year", "total", "burglaries"}] for every year with approved reports (since `since`), oldest first."""
    alerts = approved_reports().filter(commune=commune)
    if since is not None:
        alerts = alerts.filter(occurred_at__gte=DateRange(since, since).bounds()[0])
    rows = (
        alerts.annotate(year=trunc("year")).values("year")
        .annotate(total=Count("id"), burglaries=Count("id", filter=Q(category__in=BURGLARIES))).order_by("year")
    )  # fmt: skip
    return [{"year": local_date(r["year"]).year, "total": r["total"], "burglaries": r["burglaries"]} for r in rows]


class Median(Aggregate):
    """PostgreSQL's PERCENTILE_CONT(0.5): the median computed by the database."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def members_at(ids: list[int], when: datetime | None = None) -> QuerySet[Membership]:
    """The communes' approved members, those who had joined by `when` (decided, else asked) if given; those who
    left since are not known."""
    members = Membership.objects.filter(commune_id__in=ids, status=MembershipStatus.APPROVED)
    if when is None:
        return members
    return members.annotate(joined=Coalesce(F("decided_at"), F("created_at"))).filter(joined__lt=when)


def followers_at(ids: list[int], when: datetime | None = None) -> QuerySet[Follow]:
    """The communes' followers: following now, or at `when` if given."""
    if when is None:
        return Follow.objects.filter(commune_id__in=ids, stopped_at__isnull=True)
    return Follow.objects.filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=when), commune_id__in=ids,
                                 created_at__lt=when)  # fmt: skip


@dataclass(frozen=True)
class Moderation:
    """Reports created in a range (the moderators' work): by commune id, and over all the communes asked (one
    median over all their reports)."""

    by_commune: dict[int, dict[str, Any]]
    total: dict[str, Any]

    def of(self, commune_id: int) -> dict[str, Any]:
        return self.by_commune.get(commune_id) or _moderation_dict({})


_TIMED = Q(status=AlertStatus.APPROVED, moderated_at__isnull=False)


def moderation(ids: list[int], date_range: DateRange, by_commune: bool = True) -> Moderation:
    """Received, approved, rejected and pending reports, the rejected share and the median approval delay: one
    query for the total and, `by_commune`, one grouped query for every commune (a département has 300)."""
    low, high = date_range.bounds()
    reports = Alert.objects.filter(commune_id__in=ids, kind=AlertKind.REPORT, created_at__gte=low, created_at__lt=high)
    in_database = connection.vendor == "postgresql"  # the median too, in the same query
    figures = {
        "received": Count("id"),
        "approved": Count("id", filter=Q(status=AlertStatus.APPROVED)),
        "rejected": Count("id", filter=Q(status=AlertStatus.REJECTED)),
        "pending": Count("id", filter=Q(status=AlertStatus.PENDING)),
        **({"median": Median(F("moderated_at") - F("created_at"), filter=_TIMED)} if in_database else {}),
    }
    total = reports.order_by().aggregate(**figures)
    rows = {row["commune_id"]: dict(row) for row in
            reports.order_by().values("commune_id").annotate(**figures)} if by_commune else {}  # fmt: skip
    if not in_database:
        medians = _medians(reports, by_commune)
        for key, found in [*rows.items(), (None, total)]:
            found["median"] = medians.get(key)
    return Moderation({key: _moderation_dict(row) for key, row in rows.items()}, _moderation_dict(total))


def moderation_figures(commune: Commune, date_range: DateRange) -> dict[str, object]:
    """The statistics API's moderation block: the commune's `moderation` without `received`."""
    figures = moderation([commune.pk], date_range, by_commune=False).total
    return {key: value for key, value in figures.items() if key != "received"}


def _medians(reports: QuerySet[Alert], by_commune: bool) -> dict[int | None, timedelta]:
    """SQLite (make run) has no percentile: the delays are read and their medians taken here (None: all)."""
    delays: dict[int | None, list[timedelta]] = defaultdict(list)
    for commune_id, created, moderated in reports.filter(_TIMED).values_list("commune_id", "created_at", "moderated_at"):
        if moderated is not None:  # always (_TIMED): said for the types
            delays[None].append(moderated - created)
            if by_commune:
                delays[commune_id].append(moderated - created)
    # typeshed's median takes numbers only; timedeltas sort, add and halve as well.
    return {key: statistics.median(found) for key, found in delays.items()}  # type: ignore[type-var]


def _moderation_dict(row: dict[str, Any]) -> dict[str, Any]:
    approved, rejected, median = row.get("approved", 0), row.get("rejected", 0), row.get("median")
    decided = approved + rejected
    return {
        "received": row.get("received", 0), "approved": approved, "rejected": rejected, "pending": row.get("pending", 0),
        "rejected_share": round(rejected / decided, 4) if decided else None,
        "median_minutes_to_approve": None if median is None else round(median.total_seconds() / 60, 1),
    }  # fmt: skip


def delivery_figures(commune: Commune, date_range: DateRange) -> dict[str, object]:
    """How far the approved reports of the range reached the commune's members, by channel.

    The denominator is members × alerts sent, with today's approved members (the membership history is not
    kept): `share_of_members` is therefore an approximation; `recipients` (who was planned) is exact.
    """
    messages = _messages(commune, date_range)
    sent = messages.count()
    # Deliveries are purged after NOTIFICATIONS_RETENTION_DAYS (privacy): older messages would count as
    # having reached nobody, so shares are of the messages whose deliveries are still kept.
    kept = messages.filter(created_at__gte=timezone.now() - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS))
    counted = kept.count() if sent else 0
    members = Membership.objects.filter(commune=commune, status=MembershipStatus.APPROVED).count()
    targets = counted * members
    if counted:
        deliveries = Delivery.objects.filter(message__in=kept.values("id")).exclude(status=DeliveryStatus.CANCELLED)
        counts = delivery_counts(deliveries)
        reached = deliveries.filter(status__in=REACHED_DELIVERY_STATUSES).values("message_id", "user_id").distinct().count()
        recipients = deliveries.values("message_id", "user_id").distinct().count()
        calls = voice_report(deliveries) if any(channel == Channel.VOICE for channel, _ in counts) else None
    else:  # no message, no delivery: three queries spared for most communes and ranges
        counts, reached, recipients, calls = {}, 0, 0, None
    by_channel = {channel: _channel(counts, channel, targets) for channel in Channel.values}
    by_channel[Channel.VOICE].update(_calls(calls))
    return {
        "alerts_sent": sent,
        "alerts_with_deliveries_kept": counted,
        "members": members,
        "recipients": recipients,
        "members_reached": reached,
        "share_of_members": _share(reached, targets),
        "by_channel": by_channel,
    }


def deliveries_in_flight(commune: Commune, date_range: DateRange) -> bool:
    """Whether the range's delivery figures may still change on their own: a message not planned yet, or a
    delivery still to go (the statistics' cache keeps such figures only a few seconds)."""
    going = Delivery.objects.filter(message=OuterRef("pk"), status__in=ACTIVE_DELIVERY_STATUSES)
    unplanned = Q(status__in=[MessageStatus.QUEUED, MessageStatus.PLANNING])
    return _messages(commune, date_range).filter(unplanned | Exists(going)).exists()


def _messages(commune: Commune, date_range: DateRange) -> QuerySet[Message]:
    """The messages of the range's approved reports: each alert's own and its follow-ups'."""
    alert_ids = approved_reports(date_range).filter(commune=commune).values("id")
    return Message.objects.filter(source_type=MessageSource.ALERT, source_id__in=alert_ids)


def _channel(counts: dict[tuple[str, str], int], channel: str, targets: int) -> dict[str, object]:
    tally = ChannelTally.of(counts, channel)  # what each status counts as: the delivery report's definitions
    return {
        "deliveries": tally.total,
        "reached": tally.sent,
        "delivered": tally.delivered,
        "failed": tally.failed,
        "unknown": tally.unknown,
        "pending": tally.pending,
        "share_of_members": _share(tally.sent, targets),
    }


def _calls(report: VoiceReport | None) -> dict[str, int]:
    """The voice channel's own figures (voice.voice_report's definitions): calls placed (a call Twilio took),
    answered, confirmed (the person pressed 1) and the minutes billed (each call's started minutes)."""
    if report is None:
        return {"calls": 0, "answered": 0, "confirmed": 0, "minutes": 0}
    return {"calls": report["sent"], "answered": report["answered"], "confirmed": report["confirmed"],
            "minutes": report["minutes"]}  # fmt: skip


def _share(part: int, whole: int) -> float | None:
    return round(min(part / whole, 1.0), 4) if whole else None
