"""The periodic safety net (beat, every 30 s) behind the after-commit tasks, and the retention purge.

- messages whose planning task never ran (broker down at commit) or whose planner died: planned again;
- deliveries claimed by a worker that died in a provider call: marked unknown (the request may have
  left), never resent; what it had not claimed yet is still pending and is published again below;
- deliveries due but never published (quiet hours ended, long backoff, lost task): published.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .claims import due, expire_stale_claims
from .dispatch import publish_or_release, publish_plan
from .models import ConsoleMessage, Delivery, Message, MessageStatus

log = logging.getLogger(__name__)

SWEEP_LIMIT = 50_000  # per sweep; the next one takes the rest


def redispatch_after() -> timedelta:
    """A published task not run after this long is presumed lost (Redis restarted, queue flushed)."""
    return timedelta(seconds=getattr(settings, "NOTIFICATIONS_REDISPATCH_SECONDS", 600))


def unplanned_grace() -> timedelta:
    """Leave the after-commit planning task this long to run before the sweeper plans it instead."""
    return timedelta(seconds=getattr(settings, "NOTIFICATIONS_UNPLANNED_GRACE_SECONDS", 30))


def sweep() -> dict[str, int]:
    now = timezone.now()
    report = {
        "plans": _replan(now),
        "claims_unknown": expire_stale_claims(now),
        "published": _publish_due(now),
    }
    if any(report.values()):
        log.info("notifications: sweep %s", report)
    return report


def _replan(now: object) -> int:
    stale = Q(status=MessageStatus.QUEUED, created_at__lt=now - unplanned_grace()) | Q(
        status=MessageStatus.PLANNING, lease_until__lt=now
    )
    ids = list(Message.objects.filter(stale).values_list("pk", flat=True)[:1000])
    return sum(publish_plan(pk) for pk in ids)


def _publish_due(now: object) -> int:
    unpublished = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())
    rows = list(Delivery.objects.filter(due(), unpublished).values_list("pk", "channel")[:SWEEP_LIMIT])
    by_channel: dict[str, list[int]] = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    published = 0
    for channel, ids in by_channel.items():
        ids.sort()
        Delivery.objects.filter(pk__in=ids).update(dispatched_at=now)
        published += publish_or_release(channel, ids)
    return published


def purge(now: object = None) -> int:
    """Deliveries and console messages older than the retention period are deleted (privacy)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    deleted = 0
    # A delivery is never older than its message: the message's date (indexed) finds them, no index needed
    # on the deliveries' own date.
    old = Delivery.objects.filter(message__created_at__lt=cutoff, created_at__lt=cutoff)
    while ids := list(old.values_list("pk", flat=True)[:10_000]):
        deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
    deleted += ConsoleMessage.objects.filter(created_at__lt=cutoff).delete()[0]
    log.info("notifications: purged %s rows older than %s days", deleted, settings.NOTIFICATIONS_RETENTION_DAYS)
    return deleted
