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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from providers.models import ConsoleMessage

from . import broker
from .claims import GIVE_UP_SECONDS, due, expire_stale_claims
from .models import Channel, Delivery, DeliveryStatus, Message, MessageStatus
from .planner import publish_plan
from .reconcile import checkable, publish_checks
from .sender import publish_or_release
from .summaries import summarise_before_purge
from .voice import publish_call_checks

log = logging.getLogger(__name__)

SWEEP_LIMIT = 50_000  # per sweep; the next one takes the rest
QUEUE_OF = {Channel.PUSH: "push", Channel.SMS: "sms", Channel.VOICE: "voice"}


def redispatch_after() -> timedelta:
    """Whatever the broker says, a published task not run after this long is presumed lost."""
    return timedelta(seconds=settings.NOTIFICATIONS_REDISPATCH_SECONDS)


def lost_after() -> timedelta:
    """A task published this long ago whose queue is empty was lost: nothing holds it any more."""
    return timedelta(seconds=settings.NOTIFICATIONS_LOST_AFTER_SECONDS)


def unplanned_grace() -> timedelta:
    """Leave the after-commit planning task this long to run before the sweeper plans it instead."""
    return timedelta(seconds=settings.NOTIFICATIONS_UNPLANNED_GRACE_SECONDS)


# The tasks, run by the beat schedule (settings) under these names.
@shared_task(name="notifications.tasks.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    return sweep()


@shared_task(name="notifications.tasks.purge_old_deliveries")
def purge_old_deliveries() -> int:
    return purge()


def sweep() -> dict[str, int]:
    """One sweep at a time: one delayed behind a backlog and the next would publish the same work twice."""
    with exclusive("notifications-sweep") as mine:
        return _sweep() if mine else {}


def _sweep() -> dict[str, int]:
    now = timezone.now()
    forgot = broker.forgot_everything()  # restarted empty or flushed: every published task is gone
    report = {"plans": _replan(now, forgot), **expire_stale_claims(now), "checks": _publish_checks(now)}
    report["published"] = _publish_due(now, _lost_channels(now, forgot), forgot)
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
    """Checks for SMS whose fate is unknown, unless one holds them; past the give-up age they stay unknown."""
    rows = Delivery.objects.filter(checkable(), Q(not_before__isnull=True) | Q(not_before__lte=now))
    rows.filter(created_at__lt=now - timedelta(seconds=GIVE_UP_SECONDS)).update(
        status=DeliveryStatus.UNKNOWN, error_code="undecided", finished_at=now, claim_token=None, lease_until=None
    )
    unpublished = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - lost_after())
    found = list(rows.filter(unpublished).order_by("pk").values_list("pk", "channel")[:SWEEP_LIMIT])
    Delivery.objects.filter(pk__any=[pk for pk, _ in found]).update(dispatched_at=now)
    calls = [pk for pk, channel in found if channel == Channel.VOICE]  # Twilio's Calls list decides those
    return publish_checks([pk for pk, channel in found if channel != Channel.VOICE]) + publish_call_checks(calls)


def _lost_channels(now: datetime, forgot: bool) -> set[str]:
    """Channels whose published-but-unrun tasks are presumed lost now: those whose queue is empty (a task
    still queued is not lost, only late). When the broker forgot everything, `_publish_due` takes them all."""
    if forgot:
        return set(QUEUE_OF)
    old = Delivery.objects.filter(due(), dispatched_at__lt=now - lost_after())
    waiting = set(old.values_list("channel", flat=True).distinct())
    return {channel for channel in waiting if broker.queue_is_empty(QUEUE_OF[Channel(channel)])}


def _publish_due(now: datetime, lost: set[str], forgot: bool = False) -> int:
    stale = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - redispatch_after())
    if lost:
        # Not what was published a moment ago: a task may be running it (or a refresh said it still is).
        stale |= Q(channel__in=sorted(lost), dispatched_at__lt=now - (timedelta(0) if forgot else lost_after()))
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


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """A PostgreSQL advisory lock for the time of the block (True if taken); SQLite serves one process."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s))", [name])
        mine = bool(cursor.fetchone()[0])
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def purge(now: datetime | None = None) -> int:
    """Deliveries and console messages older than the retention period are deleted (privacy)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    deleted = 0
    # What the messages achieved outlives their deliveries: the yearly balance counts from the summaries.
    summarise_before_purge(cutoff)
    # A delivery is never older than its message: the message's date (indexed) finds them, no index needed
    # on the deliveries' own date.
    old = Delivery.objects.filter(message__created_at__lt=cutoff, created_at__lt=cutoff)
    while ids := list(old.values_list("pk", flat=True)[:10_000]):
        deleted += Delivery.objects.filter(pk__in=ids).delete()[0]
    deleted += ConsoleMessage.objects.filter(created_at__lt=cutoff).delete()[0]
    log.info("notifications: purged %s rows older than %s days", deleted, settings.NOTIFICATIONS_RETENTION_DAYS)
    return deleted
