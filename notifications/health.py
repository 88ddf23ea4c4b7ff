"""The fan-out's health for /healthz: deliveries stuck, or a provider failing most of what it gets.

A stuck or failing provider is *reported* ("degraded: …") but does not turn /healthz into a 503: the
web service is fine, and a load balancer or orchestrator restarting it would not fix Twilio or FCM and
would make the check flap. The database, broker and cache checks remain the ones that fail it.

Also why sending is delayed, for the mayors (delivery report, dashboards): `delay_reason()`.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigilants.health import broker_answers

from .models import ACTIVE_DELIVERY_STATUSES, Delivery, DeliveryStatus, Message, MessageStatus

log = logging.getLogger(__name__)

BROKER_UNAVAILABLE = "broker_unavailable"  # the broker does not answer: nothing new leaves until it does
PROVIDER_RETRYING = "provider_retrying"  # a provider refused for now: those deliveries wait for their retry
BACKLOG = "backlog"  # due for more than BACKLOG_AFTER and not gone: workers behind or stopped
BACKLOG_AFTER = timedelta(seconds=60)
RECENT_MESSAGES = timedelta(days=1)  # the dashboards' banner looks at what was sent today, not at old leftovers
# Shown to the mayors after « L'envoi des alertes est retardé : ».
DELAY_REASONS = {
    BROKER_UNAVAILABLE: _("le service d'envoi ne répond pas. Les alertes sont bien enregistrées et partiront "
                          "automatiquement dès son retour."),
    PROVIDER_RETRYING: _("l'opérateur SMS ou de notifications a refusé temporairement certains envois ; ils sont "
                         "retentés automatiquement."),
    BACKLOG: _("des envois attendent depuis plus d'une minute ; ils partiront dans l'ordre."),
}  # fmt: skip

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


def sending_delay(commune_ids: QuerySet[Any, Any] | list[int]) -> str | None:
    """For the dashboards: BROKER_UNAVAILABLE whenever the broker does not answer (whatever a mayor sends
    now would wait), else why these communes' messages of the day are late, or None."""
    if not broker_answers():
        return BROKER_UNAVAILABLE
    since = timezone.now() - RECENT_MESSAGES
    return delay_reason(Message.objects.filter(commune_id__in=commune_ids, created_at__gte=since))


def delay_reason(messages: QuerySet[Message], now: datetime | None = None) -> str | None:
    """Why what these messages still have to send is late, or None (nothing late, or nothing left)."""
    now = now or timezone.now()
    unplanned = messages.filter(status__in=[MessageStatus.QUEUED, MessageStatus.PLANNING])
    waiting = Delivery.objects.filter(message__in=messages.values("pk"), status__in=ACTIVE_DELIVERY_STATUSES)
    if not (unplanned.exists() or waiting.exists()):
        return None
    if not broker_answers():
        return BROKER_UNAVAILABLE
    # Given back as pending with a backoff after a provider's transient refusal (claims.mark_retry).
    if waiting.filter(status=DeliveryStatus.PENDING, attempts__gt=0).exclude(error_code="").exists():
        return PROVIDER_RETRYING
    late = now - BACKLOG_AFTER
    due_long_ago = Q(not_before__isnull=True) | Q(not_before__lt=late)  # quiet hours are not a delay
    if (
        unplanned.filter(created_at__lt=late).exists()
        or waiting.filter(due_long_ago, status=DeliveryStatus.PENDING, created_at__lt=late).exists()
    ):
        return BACKLOG
    return None


def _stuck() -> str:
    """Due for more than 5 minutes and not sent: no worker consumes the queue, or the provider hangs."""
    late = timezone.now() - STUCK_AFTER
    overdue = Q(status=DeliveryStatus.PENDING, created_at__lt=late) & (
        Q(not_before__isnull=True) | Q(not_before__lt=late)
    )
    in_flight = Q(status__in=[DeliveryStatus.SENDING], lease_until__lt=timezone.now())
    undecided = Q(status=DeliveryStatus.CHECKING, created_at__lt=late)  # the SMS provider cannot be asked
    count = Delivery.objects.filter(overdue | in_flight | undecided).count()
    return f"{count} deliveries waiting for more than 5 minutes" if count else ""


def _failing() -> str:
    recent = Message.objects.filter(created_at__gte=timezone.now() - RECENT).values("pk")
    finished = Delivery.objects.filter(message__in=recent).exclude(
        status__in=[*ACTIVE_DELIVERY_STATUSES, DeliveryStatus.CANCELLED]
    )
    rows = {r["channel"]: r for r in finished.values("channel").annotate(
        total=Count("id"), failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)))}  # fmt: skip
    bad = [f"{c}: {r['failed']}/{r['total']} failed" for c, r in sorted(rows.items())
           if r["total"] >= FAILING_MIN and r["failed"] / r["total"] > FAILING_RATIO]  # fmt: skip
    return ", ".join(bad) + " in the last 10 minutes" if bad else ""
