"""Fan-out planning: who gets a message, by which channel, and when; one Delivery row each.

Members are read in keyset-paged batches (by membership id) and rows written with an INSERT that
ignores conflicts on the unique (message, user, channel) (bulk_create(ignore_conflicts=True), done
leaner: see insert_ignoring_conflicts): planning twice, or
resuming after a crash from `plan_cursor`, never makes a second row. Each batch commits on its own
and publishes its send tasks after commit, so sending starts while later batches are still planned.

reach() runs the same planning without writing: who a draft would reach by each channel (the desk's preview).
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from communes.models import Membership, MembershipStatus
from vigilants.lookups import int_array

from . import broker
from .models import Channel, Delivery, DeliveryStatus, Device, Message, MessageStatus, opted_out_numbers
from .preferences import Preferences, Recipient, channels_for, not_before
from .retrying import survives_database_loss
from .sender import publish_or_release

log = logging.getLogger(__name__)

PLAN_BATCH = 2000
Row = tuple[int, str, datetime | None, datetime | None]  # user_id, channel, not_before, dispatched_at


class MemberRow(TypedDict):
    """A member as planning reads them: raw text, decoded only as needed (see _members)."""

    id: int
    user_id: int
    phone: str | None
    prefs: str | None


def lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS)


def claim_planning(message_id: int) -> bool:
    """Take the planning lease: a message is planned by one worker at a time (or again if it died)."""
    now = timezone.now()
    free = Q(status=MessageStatus.QUEUED) | Q(status=MessageStatus.PLANNING, lease_until__lt=now)
    return Message.objects.filter(free, pk=message_id).update(status=MessageStatus.PLANNING, lease_until=lease_end()) == 1


# The task (its name is fixed: routes and queued messages use it).
# A lambda, so that each call looks the function up (tests replace it).
plan_message = survives_database_loss("notifications.tasks.plan_message", lambda message_id: plan(message_id))


def publish_plan(message_id: int) -> bool:
    """Publish the message's planning; False if the broker refused (the sweeper publishes it later)."""
    return broker.publish(plan_message.name, [message_id], None, what=f"plan message {message_id}")


def plan(message_id: int) -> int:
    """Plan the whole message, batch after batch; returns how many delivery rows were written."""
    if not claim_planning(message_id):
        return 0
    written = 0
    while (batch := plan_next_batch(message_id)) is not None:
        written += batch
    log.info("notifications: message %s planned (%s deliveries)", message_id, written)
    return written


@dataclass(frozen=True)
class Reach:
    """Who a message would reach if it were planned now: what plan() would write, counted."""

    members: int  # members it targets (its neighbourhoods and roles, its sender excluded)
    push: int  # members it would push to (one push row each, whatever their number of devices)
    sms: int  # members it would text
    unreached: int  # targeted members no channel reaches (none chosen, no device and no number, opted out)
    held: int  # members whose deliveries wait for the end of their quiet hours (never for an urgent message)
    held_until: datetime | None  # when the last of those quiet hours ends

    @property
    def reached(self) -> int:
        return self.members - self.unreached


def reach(message: Message) -> Reach:
    """What planning `message` now would write, without writing anything: the preview of a mayor's warning.

    The very members query, reachability lookups and per-member rules as plan() (_members, _planned_rows),
    batch by batch, so that a preview and the fan-out that follows it never disagree. `message` may be a
    draft never saved (notifications.services.message_draft).
    """
    tally, after = _ReachTally(), 0
    while batch := list(_members(message, after=after)[:PLAN_BATCH]):
        tally.add(len(batch), _planned_rows(message, batch))
        after = batch[-1]["id"]
    return Reach(members=tally.members, push=tally.push, sms=tally.sms, unreached=tally.members - tally.reached,
                 held=tally.held, held_until=tally.held_until)  # fmt: skip


@dataclass
class _ReachTally:
    members: int = 0
    push: int = 0
    sms: int = 0
    reached: int = 0
    held: int = 0
    held_until: datetime | None = None

    def add(self, members: int, rows: list[Row]) -> None:
        """One batch's members and the rows planned for them (a member is in one batch only)."""
        self.members += members
        self.push += sum(1 for _, channel, _, _ in rows if channel == Channel.PUSH)
        self.sms += sum(1 for _, channel, _, _ in rows if channel == Channel.SMS)
        self.reached += len({user for user, _, _, _ in rows})
        waiting = {user: until for user, _, until, _ in rows if until is not None}
        self.held += len(waiting)
        self.held_until = max([*waiting.values(), *filter(None, [self.held_until])], default=None)


def plan_next_batch(message_id: int) -> int | None:
    """Plan the next batch of members; None when there are no more (or the message was cancelled)."""
    with transaction.atomic():
        # The row lock serialises with a follow-up cancelling this message (services.cancel_unsent).
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.PLANNING:
            return None
        members = list(_members(message, after=message.plan_cursor)[:PLAN_BATCH])
        if not members:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.PLANNED, planned_at=timezone.now(), lease_until=None
            )
            return None
        rows = _planned_rows(message, members)
        inserted = insert_ignoring_conflicts(message.pk, rows)
        Message.objects.filter(pk=message.pk).update(plan_cursor=members[-1]["id"], lease_until=lease_end())
        if inserted is not None and len(inserted) == len(rows):
            _publish_after_commit(_due_by_channel(inserted))  # every row is new: publish what was written
        else:  # some rows were there already (a re-plan, an SMS fallback): publish every due one, as ever
            _publish_due_after_commit(message.pk, [m["user_id"] for m in members])
    return len(rows)


def _members(message: Message, after: int) -> QuerySet[Membership, MemberRow]:
    """The members the message targets, by membership id from `after` on (the keyset cursor)."""
    members = Membership.objects.filter(
        commune_id=message.commune_id, status=MembershipStatus.APPROVED, user__is_active=True, id__gt=after,
    )  # fmt: skip
    if message.neighbourhood_ids:
        members = members.filter(neighbourhood_id__in=message.neighbourhood_ids)
    if message.roles:
        members = members.filter(role__in=message.roles)
    if message.exclude_user_id:
        members = members.exclude(user_id=message.exclude_user_id)
    # The raw E.164 text: PhoneNumberField would parse and validate each number (most of planning's CPU).
    # Preferences as text too: most members share a few, decoded once each (_recipients).
    phone, preferences = Cast("user__phone", output_field=CharField()), Cast("user__preferences", TextField())
    return members.order_by("id").annotate(phone=phone, prefs=preferences).values("id", "user_id", "phone", "prefs")


def _planned_rows(message: Message, members: list[MemberRow]) -> list[Row]:
    """The delivery rows of a batch of members: planning writes them, reach() counts them."""
    return _deliveries(message, _recipients(members, *_reachability(members)))


def _reachability(members: list[MemberRow]) -> tuple[set[int], set[str]]:
    """Who among the batch has an active device, and which of its numbers opted out of SMS.

    Two lookups by the batch's ids and numbers, not EXISTS in the members query: there PostgreSQL
    hashes every active device of every commune once per batch (it plans for the whole commune, not
    the batch): 40 ms a batch at 100,000 devices, and growing with the whole installation.
    """
    user_ids = [m["user_id"] for m in members]
    with_device = set(Device.objects.filter(user_id__any=user_ids, active=True).values_list("user_id", flat=True))
    return with_device, opted_out_numbers(user_ids)


def _recipients(members: list[MemberRow], with_device: set[int], opted_out: set[str]) -> list[Recipient]:
    decoded: dict[str | None, Preferences] = {}  # shared, read-only: channels_for and not_before only read them
    for m in members:
        if m["prefs"] not in decoded:
            decoded[m["prefs"]] = json.loads(m["prefs"] or "null") or {}
    return [
        Recipient(user_id=m["user_id"], phone=m["phone"] or "", preferences=decoded[m["prefs"]],
                  has_device=m["user_id"] in with_device, opted_out=(m["phone"] or "") in opted_out)
        for m in members
    ]  # fmt: skip


def _deliveries(message: Message, recipients: list[Recipient]) -> list[Row]:
    now = timezone.now()
    rows = []
    for who in recipients:
        held = not_before(message, who.preferences, now)
        for channel in channels_for(message, who):
            # Held ones are published by the sweeper when their quiet hours end.
            rows.append((who.user_id, channel, held, None if held else now))
    return rows


_COLUMNS = ("message_id", "user_id", "channel", "not_before", "dispatched_at", "created_at")
_CONSTANTS = {"status": "'pending'", "attempts": "0", "provider_id": "''", "provider_status": "''", "error_code": "''"}


def insert_ignoring_conflicts(message_id: int, rows: list[Row]) -> list[tuple[int, str, datetime | None]] | None:
    """What bulk_create(rows, ignore_conflicts=True) does, for a small part of the CPU.

    bulk_create prepares all 17 fields of every row in Python; at 100,000 recipients that alone was
    most of the planning time. On PostgreSQL: one INSERT … SELECT FROM unnest(arrays) … ON CONFLICT
    DO NOTHING on the unique (message, user, channel) per batch, returning (id, channel, not_before)
    of the rows it wrote. Elsewhere (SQLite ≥ 3.24): the same INSERT executed for every row; None.
    """
    if not rows:
        return []
    now = timezone.now()
    table, quote = Delivery._meta.db_table, connection.ops.quote_name
    columns = ", ".join(quote(c) for c in (*_COLUMNS, *_CONSTANTS))
    constants = ", ".join(_CONSTANTS.values())
    conflict = "ON CONFLICT (message_id, user_id, channel) DO NOTHING"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            users, channels, held, _ = (list(column) for column in zip(*rows, strict=True))
            # Dispatched now unless held; and no array of 2,000 NULLs when nobody is in quiet hours
            # (unnest pads a missing array with NULLs): encoding timestamps was a third of planning's CPU.
            cursor.execute(
                f"INSERT INTO {quote(table)} ({columns}) "  # noqa: S608 - no user input
                f"SELECT %s, u, c, nb, CASE WHEN nb IS NULL THEN %s::timestamptz END, %s, {constants} "
                f"FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[]) AS r(u, c, nb) "
                f"{conflict} RETURNING id, channel, not_before",
                # Arrays as text: channels are the enum's own values, users ints (psycopg's list dumping is Python).
                [message_id, now, now, int_array(users), "{" + ",".join(channels) + "}", held if any(held) else None],
            )  # fmt: skip
            inserted: list[tuple[int, str, datetime | None]] = cursor.fetchall()
            return inserted
        values = "(" + ", ".join(["%s"] * len(_COLUMNS)) + f", {constants})"
        sql = f"INSERT INTO {quote(table)} ({columns}) VALUES {values} {conflict}"  # noqa: S608 - no user input
        cursor.executemany(sql, [(message_id, *row, now) for row in rows])
    return None


def _due_by_channel(inserted: list[tuple[int, str, datetime | None]]) -> dict[str, list[int]]:
    now = timezone.now()
    by_channel: dict[str, list[int]] = {}
    for pk, channel, held in inserted:
        if held is None or held <= now:
            by_channel.setdefault(channel, []).append(pk)
    return by_channel


def _publish_after_commit(by_channel: dict[str, list[int]]) -> None:
    def publish() -> None:
        for channel, ids in by_channel.items():
            publish_or_release(channel, sorted(ids))

    transaction.on_commit(publish)


def _publish_due_after_commit(message_id: int, user_ids: list[int]) -> None:
    due = (
        Delivery.objects.filter(message_id=message_id, user_id__in=user_ids, status=DeliveryStatus.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=timezone.now()))
        .values_list("pk", "channel")
    )
    by_channel: dict[str, list[int]] = {}
    for pk, channel in due:
        by_channel.setdefault(channel, []).append(pk)
    _publish_after_commit(by_channel)
