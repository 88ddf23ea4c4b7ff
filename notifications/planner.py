"""Fan-out planning: who gets a message, by which channel, and when; one Delivery row each.

People are read in keyset-paged batches and rows written with an INSERT that ignores conflicts on the
unique (message, user, channel) (bulk_create(ignore_conflicts=True), done leaner: see
insert_ignoring_conflicts): planning twice, or resuming after a crash from `plan_cursor`, never makes a
second row. Each batch commits on its own and publishes its send tasks after commit, so sending starts
while later batches are still planned.

Who, by the message's audience:
- members only (reports, broadcasts, reminders): the commune's approved members, by membership id (the
  cursor is a membership id), through the index (commune, status, id);
- public (a risk warning): the approved members and the active followers (communes.Follow), each person once.
  Both are read ordered by user id, members through (commune, status, user) and followers through
  (commune, user) where stopped_at is null, the next PLAN_BATCH of each, and merged: the batch is the first
  PLAN_BATCH distinct user ids of the two, and the cursor the last of them. Those are the first PLAN_BATCH
  people of the true union, whichever stream they come from (each stream's first PLAN_BATCH hold every one
  of its people among them), so a member who also follows is in one batch, and planned there once per channel:
  as a member when the member's rules target them, as a follower when the follow's do, by the union of both's
  channels. One cursor (a user id) and two indexed reads of at most PLAN_BATCH rows per batch; two phases
  (members, then followers who are not targeted members) would need a second cursor and an anti-join per batch.

Over several communes (Message.commune_ids: a warning to a territory) a person is in those streams once per
commune they belong to or follow. The members are then read as people (each once, kept if they have such a
membership), the followers as follows in person order with each person's follows gathered (the union of the
channels each gives); a stream cut short by the batch's size bounds the batch, so that the merge above stays exact
across batch boundaries. One commune keeps the plain queries, unchanged.

reach() runs the same planning without writing: who a draft would reach by each channel (the desk's preview).
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from communes.models import Follow, Membership, MembershipStatus
from vigilants.lookups import int_array

from . import broker
from .models import (
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    Device,
    Landline,
    Message,
    MessageStatus,
    opted_out_numbers,
)
from .preferences import Preferences, Recipient, channels_for, not_before
from .retrying import survives_database_loss
from .sender import publish_or_release

log = logging.getLogger(__name__)

PLAN_BATCH = 2000
Row = tuple[int, str, datetime | None, datetime | None]  # user_id, channel, not_before, dispatched_at


class PersonRow(TypedDict):
    """A person as planning reads them: raw text, decoded only as needed (see _with_person)."""

    user_id: int
    phone: str | None
    prefs: str | None


class MemberRow(PersonRow):
    id: int  # the membership's: the members' path pages by it


class FollowerRow(PersonRow):
    channels: list[str]  # the follow's
    also: NotRequired[list[list[str]]]  # over several communes: the person's other follows' channels


@dataclass(frozen=True)
class Following:
    """How a person a public message targets as a follower is told (see _channels)."""

    as_member: bool  # also targeted as a member: the member's channels count as well
    channels: list[str]  # the follow's choice; empty: the person's preferences, as for members
    also: tuple[list[str], ...] = ()  # the person's other follows' choices (a warning over several communes)


@dataclass(frozen=True)
class Batch:
    """The next people a message targets, each once, and the cursor after them."""

    people: list[PersonRow]
    cursor: int  # a membership id (members' path) or a user id (public path)
    members: int  # how many of `people` are targeted as members; the others as followers alone
    following: dict[int, Following] = field(default_factory=dict)  # by user id; absent: a member alone


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
    push: int  # people it would push to (one push row each, whatever their number of devices)
    sms: int  # people it would text
    unreached: int  # targeted people no channel reaches (none chosen, no device and no number, opted out)
    held: int  # people whose deliveries wait for the end of their quiet hours (never for an urgent message)
    held_until: datetime | None  # when the last of those quiet hours ends
    followers: int = 0  # a public message: followers it targets who are not targeted as members
    voice: int = 0  # people it would call

    @property
    def people(self) -> int:
        return self.members + self.followers

    @property
    def reached(self) -> int:
        return self.people - self.unreached


def reach(message: Message) -> Reach:
    """What planning `message` now would write, without writing anything: the preview of a mayor's warning.

    The very queries, reachability lookups and per-person rules as plan() (next_batch, _planned_rows),
    batch by batch, so that a preview and the fan-out that follows it never disagree. `message` may be a
    draft never saved (notifications.services.message_draft).
    """
    tally, after = _ReachTally(), 0
    while batch := next_batch(message, after):
        tally.add(batch, _planned_rows(message, batch))
        after = batch.cursor
    people = tally.members + tally.followers
    return Reach(members=tally.members, followers=tally.followers, push=tally.push, sms=tally.sms, voice=tally.voice,
                 unreached=people - tally.reached, held=tally.held, held_until=tally.held_until)  # fmt: skip


@dataclass
class _ReachTally:
    members: int = 0
    followers: int = 0
    push: int = 0
    sms: int = 0
    voice: int = 0
    reached: int = 0
    held: int = 0
    held_until: datetime | None = None

    def add(self, batch: Batch, rows: list[Row]) -> None:
        """One batch's people and the rows planned for them (a person is in one batch only)."""
        self.members += batch.members
        self.followers += len(batch.people) - batch.members
        self.push += sum(1 for _, channel, _, _ in rows if channel == Channel.PUSH)
        self.sms += sum(1 for _, channel, _, _ in rows if channel == Channel.SMS)
        self.voice += sum(1 for _, channel, _, _ in rows if channel == Channel.VOICE)
        self.reached += len({user for user, _, _, _ in rows})
        waiting = {user: until for user, _, until, _ in rows if until is not None}
        self.held += len(waiting)
        self.held_until = max([*waiting.values(), *filter(None, [self.held_until])], default=None)


def plan_next_batch(message_id: int) -> int | None:
    """Plan the next batch of people; None when there are no more (or the message was cancelled)."""
    with transaction.atomic():
        # The row lock serialises with a follow-up cancelling this message (services.cancel_unsent).
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.PLANNING:
            return None
        batch = next_batch(message, after=message.plan_cursor)
        if batch is None:
            Message.objects.filter(pk=message.pk).update(
                status=MessageStatus.PLANNED, planned_at=timezone.now(), lease_until=None
            )
            return None
        rows = _planned_rows(message, batch)
        inserted = insert_ignoring_conflicts(message.pk, rows)
        Message.objects.filter(pk=message.pk).update(plan_cursor=batch.cursor, lease_until=lease_end())
        if inserted is not None and len(inserted) == len(rows):
            _publish_after_commit(_due_by_channel(inserted))  # every row is new: publish what was written
        else:  # some rows were there already (a re-plan, an SMS fallback): publish every due one, as ever
            _publish_due_after_commit(message.pk, [p["user_id"] for p in batch.people])
    return len(rows)


def next_batch(message: Message, after: int) -> Batch | None:
    """The next people `message` targets after the cursor `after`; None when there are no more."""
    if message.audience == Audience.PUBLIC:
        return _public_batch(message, after)
    members: list[MemberRow] = list(
        _with_person(_targeted_members(message).filter(id__gt=after).order_by("id"), "id")[:PLAN_BATCH]
    )
    if not members:
        return None
    return Batch(people=list(members), cursor=members[-1]["id"], members=len(members))


def _public_batch(message: Message, after: int) -> Batch | None:
    """Members and followers merged by user id, each person once (see the module's docstring)."""
    members: list[PersonRow]
    if message.commune_ids:
        members = _people_among(_targeted_members(message), after)
    else:
        members = list(_with_person(_targeted_members(message).filter(user_id__gt=after).order_by("user_id"))[:PLAN_BATCH])
    # Followers have no role: a message for some roles (a reminder to the mayors) is for members alone.
    followers: list[FollowerRow] = []
    followers_bound: int | None = None
    if not message.roles:
        followers, followers_bound = _next_followers(message, after)
    people: dict[int, PersonRow] = {row["user_id"]: row for row in followers}
    people.update((row["user_id"], row) for row in members)
    # A list cut short by the batch's size holds everyone only up to its bound: nobody past it yet.
    members_bound = members[-1]["user_id"] if len(members) == PLAN_BATCH else None
    bounds = [bound for bound in (members_bound, followers_bound) if bound is not None]
    ids = [i for i in sorted(people) if not bounds or i <= min(bounds)][:PLAN_BATCH]
    if not ids:
        return None
    last, as_members = ids[-1], {row["user_id"] for row in members if row["user_id"] <= ids[-1]}
    following = {row["user_id"]: Following(as_member=row["user_id"] in as_members, channels=row["channels"],
                                           also=tuple(row.get("also", ())))
                 for row in followers if row["user_id"] <= last}  # fmt: skip
    return Batch(people=[people[i] for i in ids], cursor=last, members=len(as_members), following=following)


def _next_followers(message: Message, after: int) -> tuple[list[FollowerRow], int | None]:
    """The next followers after the cursor, each person once, and the user id up to which they are all there
    (None: every remaining follower is).

    Over several communes a person has one follow per commune: PLAN_BATCH follows in user order, read through
    the follows' index on the person, the last person's left for the next batch (their follows may go on past
    the limit), the others' channels gathered from their rows. A DISTINCT, or a walk over the people testing
    each for a follow, costs PostgreSQL several times more when followers are a fraction of the people."""
    follows = _targeted_followers(message).filter(user_id__gt=after)
    if not message.commune_ids:
        rows: list[FollowerRow] = list(_with_person(follows.order_by("user_id"), "channels")[:PLAN_BATCH])
        return rows, (rows[-1]["user_id"] if len(rows) == PLAN_BATCH else None)
    ordered = follows.order_by("user_id", "pk")
    found: list[FollowerRow] = list(_with_person(ordered, "channels")[:PLAN_BATCH])
    bound = None
    if len(found) == PLAN_BATCH:
        bound = found[-1]["user_id"] - 1
        if found[0]["user_id"] > bound:  # one person's follows fill the batch: that person alone, whole
            bound = found[0]["user_id"]
            found = list(_with_person(ordered.filter(user_id=bound), "channels"))
    people: dict[int, FollowerRow] = {}
    for row in found:
        if bound is not None and row["user_id"] > bound:
            break
        if row["user_id"] in people:
            people[row["user_id"]].setdefault("also", []).append(row["channels"])
        else:
            people[row["user_id"]] = row
    return list(people.values()), bound


def _people_among(rows: QuerySet[Membership] | QuerySet[Follow], after: int) -> list[PersonRow]:
    """The next PLAN_BATCH people after the cursor who have one of `rows` (several communes' memberships or
    follows), each once: people read in id order, each kept if such a row EXISTS. PostgreSQL walks the people's
    primary key and stops at the batch's end; a DISTINCT over the rows would read and sort every remaining row of
    those communes for each batch."""
    # The cursor inside too: PostgreSQL then starts the rows' scan there, not from the first person.
    within = rows.filter(user_id__gt=after, user_id=OuterRef("pk"))
    people = (User.objects.filter(Exists(within), pk__gt=after, is_active=True)
              .order_by("pk").values_list("pk", Cast("phone", CharField()), Cast("preferences", TextField())))  # fmt: skip
    return [{"user_id": pk, "phone": phone, "prefs": prefs} for pk, phone, prefs in people[:PLAN_BATCH]]


def _in_communes(message: Message) -> dict[str, Any]:
    """The message's commune, or its several (a warning over a territory)."""
    if message.commune_ids:
        return {"commune_id__in": message.commune_ids}
    return {"commune_id": message.commune_id}


def _targeted_members(message: Message) -> QuerySet[Membership]:
    """The approved members the message targets: its quartiers and roles, its sender excluded."""
    members = Membership.objects.filter(
        **_in_communes(message), status=MembershipStatus.APPROVED, user__is_active=True
    )
    if message.neighbourhood_ids:
        members = members.filter(neighbourhood_id__in=message.neighbourhood_ids)
    if message.roles:
        members = members.filter(role__in=message.roles)
    if message.exclude_user_id:
        members = members.exclude(user_id=message.exclude_user_id)
    return members


def _targeted_followers(message: Message) -> QuerySet[Follow]:
    """The active followers the message targets: a follow without quartiers gets every warning of the commune,
    one with quartiers a warning for the whole commune or for one of them."""
    follows = Follow.objects.filter(**_in_communes(message), stopped_at__isnull=True, user__is_active=True)
    if message.neighbourhood_ids:
        chosen = Follow.neighbourhoods.through.objects.filter(follow_id=OuterRef("pk"))
        follows = follows.filter(~Exists(chosen) | Exists(chosen.filter(neighbourhood_id__in=message.neighbourhood_ids)))
    if message.exclude_user_id:
        follows = follows.exclude(user_id=message.exclude_user_id)
    return follows


def _with_person(rows: QuerySet[Membership] | QuerySet[Follow], *fields: str) -> QuerySet[Any, Any]:
    """`rows` as dicts of the person's user id, number and preferences, with `fields` of the row.

    The raw E.164 text: PhoneNumberField would parse and validate each number (most of planning's CPU).
    Preferences as text too: most people share a few, decoded once each (_recipients).
    """
    phone, preferences = Cast("user__phone", output_field=CharField()), Cast("user__preferences", TextField())
    # Rows typed by the callers (MemberRow, FollowerRow): the stubs cannot follow `fields`.
    typed: QuerySet[Any, Any] = rows.annotate(phone=phone, prefs=preferences).values("user_id", "phone", "prefs", *fields)
    return typed


def _planned_rows(message: Message, batch: Batch) -> list[Row]:
    """The delivery rows of a batch of people: planning writes them, reach() counts them."""
    recipients = _recipients(batch.people, *_reachability(batch.people))
    return _deliveries(message, recipients, batch.following)


def _reachability(members: Sequence[PersonRow]) -> tuple[set[int], set[str], dict[int, str]]:
    """Who among the batch has an active device, and which of its numbers opted out of SMS.

    Two lookups by the batch's ids and numbers, not EXISTS in the members query: there PostgreSQL
    hashes every active device of every commune once per batch (it plans for the whole commune, not
    the batch): 40 ms a batch at 100,000 devices, and growing with the whole installation.
    """
    user_ids = [m["user_id"] for m in members]
    with_device = set(Device.objects.filter(user_id__any=user_ids, active=True).values_list("user_id", flat=True))
    landlines = dict(Landline.objects.filter(Q(verified_at__isnull=False) | Q(consent_at__isnull=False),
                                             user_id__any=user_ids).values_list("user_id", "phone"))  # fmt: skip
    return with_device, opted_out_numbers(user_ids), landlines


def _recipients(members: Sequence[PersonRow], with_device: set[int], opted_out: set[str],
                landlines: dict[int, str]) -> list[Recipient]:  # fmt: skip
    decoded: dict[str | None, Preferences] = {}  # shared, read-only: channels_for and not_before only read them
    for m in members:
        if m["prefs"] not in decoded:
            decoded[m["prefs"]] = json.loads(m["prefs"] or "null") or {}
    return [
        Recipient(user_id=m["user_id"], phone=m["phone"] or "", preferences=decoded[m["prefs"]],
                  has_device=m["user_id"] in with_device, opted_out=(m["phone"] or "") in opted_out,
                  landline=landlines.get(m["user_id"], ""))
        for m in members
    ]  # fmt: skip


def _deliveries(message: Message, recipients: list[Recipient], following: dict[int, Following]) -> list[Row]:
    now = timezone.now()
    rows = []
    for who in recipients:
        held = not_before(message, who.preferences, now)
        for channel in _channels(message, who, following.get(who.user_id)):
            if channel == Channel.SMS and who.opted_out:
                continue  # a number that answered STOP gets no SMS, whatever rule chose the channel
            # Held ones are published by the sweeper when their quiet hours end.
            rows.append((who.user_id, channel, held, None if held else now))
    return rows


def _channels(message: Message, who: Recipient, following: Following | None) -> list[str]:
    """A member's channels (preferences.channels_for); a follower's, and for a member who also follows the
    union of both, so that a person gets one row per channel, never two."""
    if following is None:
        return channels_for(message, who)
    chosen = {channel for choice in (following.channels, *following.also)
              for channel in _follower_channels(message, who, choice)}  # fmt: skip
    if following.as_member:
        chosen.update(channels_for(message, who))
    return [channel for channel in Channel.values if channel in chosen]


def _follower_channels(message: Message, who: Recipient, chosen: list[str]) -> list[str]:
    """A follow's channels stand for the person's own choice of channels for this commune's warnings, and bound
    it: push still needs a device and SMS a number that did not answer STOP, and a follow by push alone gets no
    SMS in place of a missing device. Empty: the person's preferences, as for members. A warning for every
    channel (a red one) goes by every channel the person has, whatever they chose (channels_for's rule)."""
    if not chosen or message.every_channel:
        return channels_for(message, who)
    as_chosen = replace(who, preferences={**who.preferences, "channels": chosen})
    return [channel for channel in channels_for(message, as_chosen) if channel in chosen]


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
