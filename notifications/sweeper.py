"""The periodic safety net (beat, every 10 s) behind the after-commit tasks, and the retention purge.

- messages whose planning task never ran (broker down at commit) or whose planner died: planned again;
- deliveries claimed by a worker that died (or lost its database) in a provider call, once their lease has
  run out: pushes sent again (their tag replaces a copy already shown), SMS checked with Twilio (reconcile.py);
- SMS whose fate is unknown: a check task is published;
- deliveries due but never published (quiet hours ended, backoff over, broker refused): published;
- tasks published but lost (broker restarted without persistence, queue flushed, failover to a replica
  that lagged): published again within a sweep or two, not after the 600 s catch-all. A second run of a
  task that was not lost after all costs a no-op, never a duplicate: its rows are claimed by one run only.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import broker
from .claims import due, expire_stale_claims
from .dispatch import publish_checks, publish_or_release, publish_plan
from .models import Channel, ConsoleMessage, Delivery, DeliveryStatus, Message, MessageStatus

log = logging.getLogger(__name__)

SWEEP_LIMIT = 50_000  # per sweep; the next one takes the rest
QUEUE_OF = {Channel.PUSH: "push", Channel.SMS: "sms"}


def redispatch_after() -> timedelta:
    """Whatever the broker says, a published task not run after this long is presumed lost."""
    return timedelta(seconds=getattr(settings, "NOTIFICATIONS_REDISPATCH_SECONDS", 600))


def lost_after() -> timedelta:
    """A task published this long ago whose queue is empty was lost: nothing holds it any more."""
    return timedelta(seconds=getattr(settings, "NOTIFICATIONS_LOST_AFTER_SECONDS", 20))


def unplanned_grace() -> timedelta:
    """Leave the after-commit planning task this long to run before the sweeper plans it instead."""
    return timedelta(seconds=getattr(settings, "NOTIFICATIONS_UNPLANNED_GRACE_SECONDS", 15))


def sweep() -> dict[str, int]:
    now = timezone.now()
    forgot = broker.forgot_everything()  # restarted empty or flushed: every published task is gone
    report = {"plans": _replan(now, forgot), **expire_stale_claims(now), "checks": _publish_checks(now)}
    report["published"] = _publish_due(now, _lost_channels(now, forgot))
    if forgot:
        log.warning("notifications: the broker lost its queues; published again what was waiting")
    if any(report.values()):
        log.info("notifications: sweep %s", report)
    return report


def _replan(now: datetime, forgot: bool) -> int:
    queued = Q(status=MessageStatus.QUEUED) if forgot else Q(status=MessageStatus.QUEUED, created_at__lt=now - unplanned_grace())
    stale = queued | Q(status=MessageStatus.PLANNING, lease_until__lt=now)
    ids = list(Message.objects.filter(stale).values_list("pk", flat=True)[:1000])
    return sum(publish_plan(pk) for pk in ids)


def _publish_checks(now: datetime) -> int:
    unpublished = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - lost_after())
    checking = Q(status=DeliveryStatus.CHECKING) & (Q(not_before__isnull=True) | Q(not_before__lte=now))
    ids = sorted(Delivery.objects.filter(checking, unpublished).values_list("pk", flat=True)[:SWEEP_LIMIT])
    Delivery.objects.filter(pk__any=ids).update(dispatched_at=now)
    return publish_checks(ids)


def _lost_channels(now: datetime, forgot: bool) -> set[str]:
    """Channels whose published-but-unrun tasks are presumed lost now: all of them when the broker forgot
    everything; else those whose queue is empty (a task still queued is not lost, only late)."""
    if forgot:
        return set(QUEUE_OF)
    old = Delivery.objects.filter(due(), dispatched_at__lt=now - lost_after())
    waiting = set(old.values_list("channel", flat=True).distinct())
    return {channel for channel in waiting if broker.queue_is_empty(QUEUE_OF[channel])}


def _publish_due(now: datetime, lost: set[str]) -> int:
    stale = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())
    if lost:
        stale |= Q(channel__in=sorted(lost), dispatched_at__lte=now)
    rows = list(Delivery.objects.filter(due(), stale).values_list("pk", "channel")[:SWEEP_LIMIT])
    by_channel: dict[str, list[int]] = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    published = 0
    for channel, ids in by_channel.items():
        ids.sort()
        Delivery.objects.filter(pk__any=ids).update(dispatched_at=now)
        published += publish_or_release(channel, ids)
    return published


def purge(now: datetime | None = None) -> int:
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
