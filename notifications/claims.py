"""Claiming deliveries before a send, and recording what became of them.

A claim is one conditional UPDATE (pending → sending, with a fresh token and a lease): whatever runs it
twice — a redelivered task after a worker died (acks_late), two workers on the same batch, the sweeper
re-publishing — only one UPDATE matches a row, so only one worker ever sends it. PostgreSQL re-checks
the WHERE clause on a row another transaction just updated (READ COMMITTED), SQLite serialises writers:
the same code is safe on both without SELECT … FOR UPDATE SKIP LOCKED.

A claim covers one provider call (≤500 pushes, ≤20 SMS) and is taken right before it, so that a
worker's death leaves as little as possible in doubt. Rows still `sending` when their lease runs out
belonged to a worker that died (or lost its database) inside a provider call, and are decided, not
abandoned: a push is sent again (every copy of a message carries the same notification tag, so a second
copy replaces the first on the phone instead of showing twice); an SMS is looked up in Twilio's own
record first (checking, see notifications/reconcile.py) and resent only if Twilio never took it. Every
later write is conditional on (token, status=sending) too: a late worker never overwrites what a status
callback or the sweeper recorded.
"""

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import F, Field, Q, QuerySet
from django.utils import timezone

from vigilants.lookups import among, int_array

from .models import Channel, Delivery, DeliveryStatus, Device

BACKOFF_BASE_SECONDS = 5.0
# Short, whatever the number of attempts: once a provider is back after an outage of any length, every
# waiting delivery goes within this (plus the sweep) — an alert has a minute, not half an hour.
BACKOFF_MAX_SECONDS = 30.0
# A delivery still not sent this long after it was planned, and tried GIVE_UP_MIN_ATTEMPTS times, is given up
# (failed, "expired"): an alert hours late does more harm than good, and SMS carriers drop it after the same
# time (composer.py).
GIVE_UP_SECONDS = 4 * 3600
GIVE_UP_MIN_ATTEMPTS = 20  # about ten minutes of tries at BACKOFF_MAX_SECONDS
# An SMS whose fate is unknown (Twilio's answer lost) is looked up in Twilio's record after this long.
CHECK_AFTER_SECONDS = 5.0
# Retries sooner than this ride on a Celery countdown; later ones are published by the sweeper (an ETA
# beyond Redis's visibility timeout would be delivered twice).
COUNTDOWN_MAX_SECONDS = 300.0


def due() -> Q:
    """Pending and not held back: for scans of the few active rows (the sweeper, the health check)."""
    return Q(status=DeliveryStatus.PENDING) & _not_held_back()


def due_among(ids: Sequence[int], channel: str) -> QuerySet[Delivery]:
    """The due deliveries of `channel` among `ids`, found through the primary key whatever the statistics.

    Written `status = 'pending'`, PostgreSQL picks the partial index of active rows whenever its
    statistics say few rows are pending, which is what they say right before a big fan-out: every
    claim of 500 then scans all the fan-out's pending rows (40-80 ms a claim at 100,000, quadratic in
    the fan-out; bench/fanout). "None of the other statuses" (and channels), from the enums so that a
    new value is never taken by mistake, means the same and leaves the planner only the primary key.
    """
    return Delivery.objects.filter(pending(), _only("channel", channel, Channel.values), pk__any=ids)


def pending() -> Q:
    """due(), in the form no partial index can serve (see due_among)."""
    return _only("status", DeliveryStatus.PENDING, DeliveryStatus.values) & _not_held_back()


def _only(field: str, value: str, values: list[str]) -> Q:
    return ~Q(**{f"{field}__in": [v for v in values if v != value]})


def _not_held_back() -> Q:
    return Q(not_before__isnull=True) | Q(not_before__lte=timezone.now())


class Claimed(NamedTuple):
    """What a send needs of a claimed delivery, straight from the claim's RETURNING (no model instance)."""

    pk: int
    message_id: int
    user_id: int
    attempts: int

    @property
    def key(self) -> str:
        return str(self.pk)


Claimable = Delivery | Claimed  # a claimed delivery: read as a model (SMS) or returned by the claim (push)


def claim(ids: Sequence[int], channel: str, token: uuid.UUID | None = None) -> tuple[uuid.UUID, list[Claimed]]:
    """Atomically take the due, pending deliveries among `ids`, right before sending them.

    On PostgreSQL one statement (UPDATE … RETURNING, claim_statement): reading the rows and claiming them
    after cost a second pass over the same rows. SQLite (the embedded default, one process) reads
    them back by token: its shared-cache test database refuses a second writer while a RETURNING is read.
    Returns the claim's token (`token` when given: the parts of one provider call share one) and the
    deliveries it got (possibly fewer than asked, or none), in id order.
    """
    token = token or uuid.uuid4()
    if not ids:
        return token, []
    if connection.vendor != "postgresql":
        due_among(ids, channel).update(**_claiming(token))
        return token, [Claimed(*row) for row in _held(token, ids).order_by("id").values_list(*Claimed._fields)]
    with connection.cursor() as cursor:
        cursor.execute(*claim_statement(ids, channel, token))
        return token, sorted(Claimed(*row) for row in cursor.fetchall())


def claim_statement(ids: Sequence[int], channel: str, token: uuid.UUID) -> tuple[str, list[Any]]:
    """claim()'s UPDATE … RETURNING on PostgreSQL: due_among()'s conditions (the same statuses and channels
    spelt "none of the others", for the same reason), written once: a push call takes a claim per part,
    and the ORM spent more CPU building each than PostgreSQL did running it."""
    writes = _claiming(token)
    return _claim_sql(channel), [writes["status"], token, writes["lease_until"], int_array(ids), timezone.now()]


@cache
def _claim_sql(channel: str) -> str:
    def others(value: str, values: list[str]) -> str:
        return ", ".join(f"'{v}'" for v in values if v != value)  # our enums' own values, never input

    table = connection.ops.quote_name(Delivery._meta.db_table)
    return (
        f"UPDATE {table} SET status = %s, claim_token = %s, lease_until = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE id = ANY(%s::bigint[]) AND status NOT IN ({others(DeliveryStatus.PENDING, DeliveryStatus.values)}) "
        f"AND channel NOT IN ({others(channel, Channel.values)}) AND (not_before IS NULL OR not_before <= %s) "
        f"RETURNING id, message_id, user_id, attempts"
    )


Devices = dict[int, list[tuple[int, str]]]  # the active devices (id, FCM token) of each delivery's member


def claim_push(ids: Sequence[int], token: uuid.UUID) -> tuple[list[Claimed], Devices]:
    """claim() for push, with the active devices of each claimed delivery's member.

    On PostgreSQL in the claim's own statement (the UPDATE … RETURNING joined to the devices in a WITH): one
    round trip per part instead of two, and only for the rows actually claimed. Elsewhere, claim() then a read.
    """
    if not ids:
        return [], {}
    if connection.vendor != "postgresql":
        got = claim(ids, Channel.PUSH, token)[1]
        return got, devices_of([d.pk for d in got])
    sql, params = claim_statement(ids, Channel.PUSH, token)
    device = connection.ops.quote_name(Device._meta.db_table)
    found: Devices = {}
    claimed: dict[int, Claimed] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed AS ({sql}) SELECT c.id, c.message_id, c.user_id, c.attempts, v.id, v.fcm_token "  # noqa: S608
            f"FROM claimed c LEFT JOIN {device} v ON v.user_id = c.user_id AND v.active",
            params,
        )  # fmt: skip
        for pk, message_id, user_id, attempts, device_pk, fcm in cursor.fetchall():
            claimed[pk] = Claimed(pk, message_id, user_id, attempts)
            if device_pk is not None:
                found.setdefault(pk, []).append((device_pk, fcm))
    return sorted(claimed.values()), found


def devices_of(ids: Sequence[int]) -> Devices:
    """The active devices of each of these deliveries' members (raw SQL: the ORM's join goes through the users
    table, an index lookup per row for nothing)."""
    found: Devices = {}
    if not ids:
        return found
    delivery, device = (connection.ops.quote_name(m._meta.db_table) for m in (Delivery, Device))
    in_call, params = among("d.id", ids, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id, v.id, v.fcm_token FROM {delivery} d JOIN {device} v ON v.user_id = d.user_id "  # noqa: S608
            f"WHERE {in_call} AND v.active", params,
        )  # fmt: skip
        for pk, device_pk, fcm in cursor.fetchall():
            found.setdefault(pk, []).append((device_pk, fcm))
    return found


def claim_known(deliveries: Sequence[Delivery], channel: str,
                lease_seconds: float | None = None) -> tuple[uuid.UUID, list[Delivery]]:  # fmt: skip
    """claim() for rows the caller has just read: when it gets them all, it skips reading them back."""
    token = uuid.uuid4()
    ids = [d.pk for d in deliveries]
    got = due_among(ids, channel).update(**_claiming(token, lease_seconds))
    if got == len(ids):
        for d in deliveries:
            d.attempts += 1  # what the UPDATE wrote: nobody else held them in between
        return token, list(deliveries)
    if not got:
        return token, []
    claimed = _held(token, ids).only("id", "message_id", "user_id", "channel", "attempts").order_by("id")
    return token, list(claimed)


def _claiming(token: uuid.UUID, lease_seconds: float | None = None) -> dict[str, Any]:
    """What a claim writes: sending, under this token, for one lease, one attempt more."""
    lease = timezone.now() + timedelta(seconds=lease_seconds or settings.NOTIFICATIONS_LEASE_SECONDS)
    return {"status": DeliveryStatus.SENDING.value, "claim_token": token, "lease_until": lease, "attempts": F("attempts") + 1}


def _held(token: uuid.UUID, ids: Sequence[int]) -> QuerySet[Delivery]:
    # Not `status = 'sending'`, for the reason given in due_among.
    sending = _only("status", DeliveryStatus.SENDING, DeliveryStatus.values)
    return Delivery.objects.filter(sending, pk__any=ids, claim_token=token)


def _released() -> dict[str, None]:
    return {"claim_token": None, "lease_until": None}


def mark_sent(token: uuid.UUID, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    now = timezone.now()
    return _held(token, ids).update(status=DeliveryStatus.SENT, sent_at=now, **_released())


def mark_sms_sent(token: uuid.UUID, sent: Sequence[tuple[int, str, int]]) -> int:
    """Record accepted SMS (delivery id, Twilio SID, segments) in one UPDATE for the whole call.

    Raw SQL (UPDATE … FROM VALUES, PostgreSQL and SQLite ≥ 3.33): the ORM's CASE WHEN per row cost
    0.8 ms of worker CPU per SMS, more than the SDK call itself.
    """
    if not sent:
        return 0
    table, values = Delivery._meta.db_table, ", ".join(["(%s, %s, %s)"] * len(sent))
    params: list[int | str] = []
    for pk, sid, segments in sent:
        params += [pk, sid[:64], segments]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, provider_id = v.column2, "  # noqa: S608 - no user input
            f"segments = CAST(v.column3 AS integer), provider_status = 'queued', claim_token = NULL, "
            f"lease_until = NULL FROM (VALUES {values}) AS v "
            f"WHERE {table}.id = v.column1 AND {table}.claim_token = %s AND {table}.status = %s",
            [DeliveryStatus.SENT, _db_value("sent_at", timezone.now()), *params, _db_value("claim_token", token),
             DeliveryStatus.SENDING],
        )  # fmt: skip
        got: int = cursor.rowcount
        if got < len(sent):
            # A status callback overtook us and already moved some rows on: keep their status, add what we know.
            cursor.execute(
                f"UPDATE {table} SET segments = CAST(v.column3 AS integer) "  # noqa: S608 - no user input
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1 AND {table}.segments IS NULL",
                params,
            )
    return got


def _db_value(name: str, value: object) -> Any:
    """A value as the database adapter takes it for this column of Delivery (raw SQL above)."""
    field = Delivery._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{name} is not a column of Delivery")
    return field.get_db_prep_value(value, connection)


def mark_final(token: uuid.UUID, ids: Sequence[int], status: str, error_code: str = "") -> int:
    if not ids:
        return 0
    return _held(token, ids).update(status=status, error_code=error_code[:40], finished_at=timezone.now(), **_released())


def backoff_seconds(attempts: int, retry_after: float | None) -> float:
    """Exponential (5 s, 10 s, 20 s, then 30 s) with jitter so retries spread; never sooner than the provider
    asked."""
    delay: float = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    delay *= 1 + random.random() / 5
    return max(delay, retry_after or 0.0)


def mark_retry(
    token: uuid.UUID, deliveries: Sequence[Claimable], retry_after: float | None, error_code: str
) -> tuple[list[int], float]:
    """Give transient failures back as pending with a backoff; those planned too long ago fail (expired).

    Returns the ids to retry and their delay (the caller publishes them, or leaves them to the sweeper).
    """
    if not deliveries:
        return [], 0.0
    ids = [d.pk for d in deliveries]
    _give_up_expired(token, ids)
    _cancel_superseded(_held(token, ids))
    delay = max(backoff_seconds(d.attempts, retry_after) for d in deliveries)
    when = timezone.now() + timedelta(seconds=delay)
    dispatched = when if delay <= COUNTDOWN_MAX_SECONDS else None
    _held(token, ids).update(
        status=DeliveryStatus.PENDING, not_before=when, dispatched_at=dispatched, error_code=error_code[:40],
        **_released(),
    )  # fmt: skip
    return (ids if dispatched else []), delay


def expired() -> Q:
    """Given up: planned more than GIVE_UP_SECONDS ago and tried often enough. The attempts keep a delivery
    held overnight by quiet hours from being given up on its first refusal in the morning."""
    return Q(created_at__lt=timezone.now() - timedelta(seconds=GIVE_UP_SECONDS), attempts__gte=GIVE_UP_MIN_ATTEMPTS)


def _give_up_expired(token: uuid.UUID, ids: Sequence[int]) -> int:
    return _held(token, ids).filter(expired()).update(
        status=DeliveryStatus.FAILED, error_code="expired", finished_at=timezone.now(), **_released()
    )


def superseded() -> Q:
    """Of a message a follow-up replaced (services.cancel_unsent): what had not gone then never goes."""
    return Q(message__followups__isnull=False)


def _cancel_superseded(rows: QuerySet[Delivery]) -> int:
    """Rows that were in a provider call when their message was replaced come back here: they stay unsent, or
    an SMS of the old alert would arrive after the follow-up, and a push would replace the follow-up."""
    ids = list(rows.filter(superseded()).values_list("pk", flat=True).distinct())
    if not ids:
        return 0
    return rows.filter(pk__any=ids).update(status=DeliveryStatus.CANCELLED, error_code="superseded",
                                           finished_at=timezone.now(), **_released())  # fmt: skip


def mark_checking(token: uuid.UUID, ids: Sequence[int], error_code: str) -> int:
    """SMS that may have left: Twilio's record decides (reconcile.py), once it has had time to write it."""
    if not ids:
        return 0
    when = timezone.now() + timedelta(seconds=CHECK_AFTER_SECONDS)
    return _held(token, ids).update(status=DeliveryStatus.CHECKING, not_before=when, dispatched_at=None,
                                    error_code=error_code[:40], **_released())  # fmt: skip


def expire_stale_claims(now: datetime) -> dict[str, int]:
    """Claims whose worker died (or lost its database) inside a provider call, decided rather than abandoned:
    pushes go back to pending and are sent again (their tag replaces a copy already shown), SMS are checked
    against Twilio's record (an SMS has no tag: a second one would be read twice). Pushes of a replaced
    message or past the give-up age are not sent again."""
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=now)
    pushes = stale.filter(channel=Channel.PUSH)
    pushes.filter(expired()).update(status=DeliveryStatus.FAILED, error_code="expired", finished_at=now, **_released())
    _cancel_superseded(pushes)
    resumed = pushes.update(
        status=DeliveryStatus.PENDING, not_before=None, dispatched_at=None, error_code="lease_expired", **_released()
    )
    # Checked at once: no request of the claim started after its deadline, so each was answered or timed out
    # before the lease ran out, and Twilio writes its record as it accepts a message.
    checked = stale.filter(channel=Channel.SMS).update(
        status=DeliveryStatus.CHECKING, not_before=now, dispatched_at=None, error_code="lease_expired", **_released()
    )
    # A call too: Twilio's Calls list says whether it was placed (voice.check_calls); a call is never placed twice.
    calls = stale.filter(channel=Channel.VOICE).update(
        status=DeliveryStatus.CHECKING, not_before=now, dispatched_at=None, error_code="lease_expired", **_released()
    )
    return {"pushes_resumed": resumed, "sms_to_check": checked, "calls_to_check": calls}
