"""Fan-out planning: who gets a message, by which channel, and when; one Delivery row each.

Members are read in keyset-paged batches (by membership id) and rows written with an INSERT that
ignores conflicts on the unique (message, user, channel) (bulk_create(ignore_conflicts=True), done
leaner: see insert_ignoring_conflicts): planning twice, or
resuming after a crash from `plan_cursor`, never makes a second row. Each batch commits on its own
and publishes its send tasks after commit, so sending starts while later batches are still planned.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from communes.models import Membership, MembershipStatus

from .dispatch import publish_or_release
from .models import Delivery, DeliveryStatus, Device, Message, MessageStatus, SmsOptOut
from .preferences import Recipient, channels_for, not_before

log = logging.getLogger(__name__)

PLAN_BATCH = 1000


def lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS)


def claim_planning(message_id: int) -> bool:
    """Take the planning lease: a message is planned by one worker at a time (or again if it died)."""
    now = timezone.now()
    free = Q(status=MessageStatus.QUEUED) | Q(status=MessageStatus.PLANNING, lease_until__lt=now)
    return Message.objects.filter(free, pk=message_id).update(status=MessageStatus.PLANNING, lease_until=lease_end()) == 1


def plan(message_id: int) -> int:
    """Plan the whole message, batch after batch; returns how many delivery rows were written."""
    if not claim_planning(message_id):
        return 0
    written = 0
    while (batch := plan_next_batch(message_id)) is not None:
        written += batch
    log.info("notifications: message %s planned (%s deliveries)", message_id, written)
    return written


def plan_next_batch(message_id: int) -> int | None:
    """Plan the next batch of members; None when there are no more (or the message was cancelled)."""
    with transaction.atomic():
        # The row lock serialises with a follow-up cancelling this message (services.cancel_unsent).
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.PLANNING:
            return None
        members = list(_members(message)[:PLAN_BATCH])
        if not members:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.PLANNED, planned_at=timezone.now(), lease_until=None
            )
            return None
        rows = _deliveries(message, _recipients(members))
        insert_ignoring_conflicts(rows)
        Message.objects.filter(pk=message.pk).update(plan_cursor=members[-1]["id"], lease_until=lease_end())
        _publish_due_after_commit(message.pk, [m["user_id"] for m in members])
    return len(rows)


def _members(message: Message):  # -> QuerySet of dicts
    members = Membership.objects.filter(
        commune_id=message.commune_id, status=MembershipStatus.APPROVED, user__is_active=True,
        id__gt=message.plan_cursor,
    )  # fmt: skip
    if message.neighbourhood_ids:
        members = members.filter(neighbourhood_id__in=message.neighbourhood_ids)
    if message.roles:
        members = members.filter(role__in=message.roles)
    if message.exclude_user_id:
        members = members.exclude(user_id=message.exclude_user_id)
    # The raw E.164 text: PhoneNumberField would parse and validate each number (most of planning's CPU).
    phone = Cast("user__phone", output_field=CharField())
    return members.order_by("id").annotate(phone=phone).values("id", "user_id", "phone", "user__preferences")


def _recipients(members: list[dict]) -> list[Recipient]:
    """Two queries per batch, whatever its size: who has an active device, which numbers opted out."""
    user_ids = [m["user_id"] for m in members]
    with_device = set(Device.objects.filter(user_id__in=user_ids, active=True).values_list("user_id", flat=True))
    phones = [m["phone"] for m in members if m["phone"]]
    opted_out = set(SmsOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))
    return [_recipient(m, with_device, opted_out) for m in members]


def _recipient(member: dict, with_device: set[int], opted_out: set[str]) -> Recipient:
    phone = member["phone"] or ""
    return Recipient(
        user_id=member["user_id"], phone=phone, preferences=member["user__preferences"] or {},
        has_device=member["user_id"] in with_device, opted_out=phone in opted_out,
    )  # fmt: skip


def _deliveries(message: Message, recipients: list[Recipient]) -> list[Delivery]:
    now = timezone.now()
    rows = []
    for who in recipients:
        held = not_before(message, who.preferences, now)
        for channel in channels_for(message, who):
            # Held ones are published by the sweeper when their quiet hours end.
            fields = {"not_before": held, "dispatched_at": None if held else now}
            rows.append(Delivery(message_id=message.pk, user_id=who.user_id, channel=channel, **fields))
    return rows


_COLUMNS = ("message_id", "user_id", "channel", "not_before", "dispatched_at", "created_at")


def insert_ignoring_conflicts(rows: list[Delivery]) -> None:
    """What bulk_create(rows, ignore_conflicts=True) does, for a tenth of the CPU.

    bulk_create prepares all 17 fields of every row in Python; at 100,000 recipients that alone was
    most of the planning time. An INSERT … ON CONFLICT DO NOTHING on the unique (message, user,
    channel), executed for every row, writes six values per row (PostgreSQL, and SQLite ≥ 3.24).
    """
    if not rows:
        return
    now = timezone.now()
    table, quote = Delivery._meta.db_table, connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*_COLUMNS, "status", "attempts", "provider_id", "provider_status",
                                           "error_code"))  # fmt: skip
    values = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ", 'pending', 0, '', '', '')"
    sql = (f"INSERT INTO {quote(table)} ({columns}) VALUES {values} "  # noqa: S608 - no user input
           f"ON CONFLICT (message_id, user_id, channel) DO NOTHING")
    params = [(r.message_id, r.user_id, r.channel, r.not_before, r.dispatched_at, now) for r in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)  # one prepared statement, pipelined by psycopg


def _publish_due_after_commit(message_id: int, user_ids: list[int]) -> None:
    due = (
        Delivery.objects.filter(message_id=message_id, user_id__in=user_ids, status=DeliveryStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
        .values_list("pk", "channel")
    )
    by_channel: dict[str, list[int]] = {}
    for pk, channel in due:
        by_channel.setdefault(channel, []).append(pk)

    def publish() -> None:
        for channel, ids in by_channel.items():
            publish_or_release(channel, sorted(ids))

    transaction.on_commit(publish)
