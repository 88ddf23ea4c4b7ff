"""« À traiter »: what needs the town hall now, each item computed by the service or model that owns it."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.timesince import timesince

from alerts.models import Alert, AlertStatus
from alerts.services import commune_overdue_alerts, escalation_delay
from communes.models import Commune, Membership, MembershipStatus
from notifications.health import DELAY_REASONS, sending_delay
from notifications.models import Channel, Delivery, DeliveryStatus, MessageSource

FAILURES_SINCE = timedelta(days=7)
OVERDUE_SHOWN = 50


@dataclass(frozen=True)
class FailedSends:
    """An alert's deliveries that failed for good (its message and its follow-ups), by channel."""

    alert: Alert
    sms: int
    push: int

    @property
    def total(self) -> int:
        return self.sms + self.push


@dataclass(frozen=True)
class Inbox:
    overdue: list[Alert]
    overdue_count: int
    escalation_delay: timedelta
    failed: list[FailedSends]
    pending_count: int
    membership_requests: int
    sending_delay: str | None

    @property
    def delay_text(self) -> str:
        """The escalation delay in words (« 1 heure, 30 minutes »), in the page's language."""
        now = timezone.now()
        return timesince(now - self.escalation_delay, now)


def failed_sends(commune: Commune) -> list[FailedSends]:
    """The commune's alerts of the last 7 days with failed deliveries, the most failures first."""
    failed = Delivery.objects.filter(
        status=DeliveryStatus.FAILED, message__commune=commune, message__source_type=MessageSource.ALERT,
        message__created_at__gte=timezone.now() - FAILURES_SINCE,
    )  # fmt: skip
    rows = (
        failed.order_by()
        .values("message__source_id")
        .annotate(sms=Count("id", filter=Q(channel=Channel.SMS)), push=Count("id", filter=Q(channel=Channel.PUSH)))
    )
    counts = {row["message__source_id"]: (row["sms"], row["push"]) for row in rows}
    alerts = Alert.objects.filter(commune=commune, pk__in=[pk for pk in counts if pk is not None])
    found = [FailedSends(alert, *counts[alert.pk]) for alert in alerts]
    return sorted(found, key=lambda row: (-row.total, -row.alert.pk))


def delay_banner(commune: Commune) -> str | None:
    """Why sending is late for the commune (or the broker is down), in French, as the dashboards say it."""
    reason = sending_delay([commune.pk])
    return str(DELAY_REASONS[reason]) if reason else None


def inbox(commune: Commune) -> Inbox:
    overdue = commune_overdue_alerts(commune)
    return Inbox(
        overdue=list(overdue[:OVERDUE_SHOWN]),
        overdue_count=overdue.count(),
        escalation_delay=escalation_delay(commune),
        failed=failed_sends(commune),
        pending_count=Alert.objects.filter(commune=commune, status=AlertStatus.PENDING).count(),
        membership_requests=Membership.objects.filter(commune=commune, status=MembershipStatus.PENDING).count(),
        sending_delay=delay_banner(commune),
    )
