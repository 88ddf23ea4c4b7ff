"""The fan-out's health for /healthz: deliveries stuck, or a provider failing most of what it gets.

A stuck or failing provider is *reported* ("degraded: …") but does not turn /healthz into a 503: the
web service is fine, and a load balancer or orchestrator restarting it would not fix Twilio or FCM and
would make the check flap. The database and broker checks remain the ones that fail it.
"""

import logging
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import Delivery, DeliveryStatus, Message

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(minutes=5)
RECENT = timedelta(minutes=10)
FAILING_RATIO = 0.5
FAILING_MIN = 20  # below this many finished sends a ratio means nothing


def check_notifications() -> str:
    problems = [p for p in (_stuck(), _failing()) if p]
    if not problems:
        return "ok"
    log.warning("healthz: notifications degraded: %s", "; ".join(problems))
    return "degraded: " + "; ".join(problems)


def _stuck() -> str:
    """Due for more than 5 minutes and not sent: no worker consumes the queue, or the provider hangs."""
    late = timezone.now() - STUCK_AFTER
    overdue = Q(status=DeliveryStatus.PENDING, created_at__lt=late) & (
        Q(not_before__isnull=True) | Q(not_before__lt=late)
    )
    in_flight = Q(status__in=[DeliveryStatus.SENDING], lease_until__lt=timezone.now())
    count = Delivery.objects.filter(overdue | in_flight).count()
    return f"{count} deliveries waiting for more than 5 minutes" if count else ""


def _failing() -> str:
    recent = Message.objects.filter(created_at__gte=timezone.now() - RECENT).values("pk")
    finished = Delivery.objects.filter(message__in=recent).exclude(
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.CANCELLED]
    )
    rows = {r["channel"]: r for r in finished.values("channel").annotate(
        total=Count("id"), failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)))}  # fmt: skip
    bad = [f"{c}: {r['failed']}/{r['total']} failed" for c, r in sorted(rows.items())
           if r["total"] >= FAILING_MIN and r["failed"] / r["total"] > FAILING_RATIO]  # fmt: skip
    return ", ".join(bad) + " in the last 10 minutes" if bad else ""
