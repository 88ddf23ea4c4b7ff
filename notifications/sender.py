"""Sending claimed deliveries through the configured transports, in batches, and recording outcomes.

push: one task and one provider call per ≤2000 deliveries (the planner's batch), claimed 250 at a time as it goes,
each part recorded while the next ones are in flight.
sms: each call of ≤SMS_CALL holds its share of the global rate (ratelimit.py) from before its claim, so a
slow SMS queue holds no claims, until a second after it ends, so the provider never sees more than the rate.
Each claim is taken right before its provider call (see claims.py).
"""

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from providers import ratelimit
from providers.base import (
    Outcome,
    PushMessage,
    SendResult,
    Settled,
    SmsMessage,
    call_deadline,
    get_push_backend,
    get_sms_backend,
    send_stream,
)

from . import broker, claims, composer
from .broker import chunks
from .claims import Claimable, Claimed
from .models import Channel, Delivery, DeliveryStatus, Device, Message, SmsOptOut, opted_out_numbers
from .retrying import survives_database_loss

log = logging.getLogger(__name__)

# Deliveries per push task and provider call, the planner's batch: each call's start and end (Celery handing
# over the next task, the first claim, the message's read, the last part's recording) leave the transport idle,
# a third of a push worker's time with calls of 500 (profiled in bench/fanout); its parts in between overlap.
PUSH_CALL = 2000
# A call claims no more parts after this long and hands the rest to a new task: with a provider that answers
# nothing (every request timing out), a call of PUSH_CALL would outlast Celery's time limit.
PUSH_CALL_SECONDS = 60.0


class _Phone(TypedDict):
    phone: str | None  # the member's number, read with the SMS rows (Cast: the raw E.164 text)


if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    WithPhone = WithAnnotations[Delivery, _Phone]
else:
    WithPhone = Delivery
# Deliveries per claim within a call, taken as the transport runs out of work: a worker killed during the
# call leaves "maybe sent" (unknown, never resent) what was in flight or queued and one claim, not 500.
# Each claim is a commit: 128 cost 2-3 points of the bench's throughput ratio, 64 about 6 (bench/fanout).
PUSH_CLAIM = 250
SMS_CALL = 20  # each call holds its share of the SMS rate until a second after it ends (ratelimit.py)
SMS_READ = 200  # SMS rows read per query
STILL_RUNNING_SECONDS = 10.0  # how often a long SMS task says its rows are still in hand
SMS_CALL_WINDOW = 5.0  # seconds a call of SMS_CALL may go on starting requests; the rest go in the next call
LEASE_MARGIN_SECONDS = 3.0  # clocks of two machines, scheduling: a request's end is never this close to its lease's
SEND_BATCH = 500  # one SMS or voice task per ≤500 deliveries, never one per recipient (push: PUSH_CALL)
_FIELDS = ("id", "message_id", "user_id", "channel", "attempts")


@dataclass
class Tally:
    """What one delivery's device messages came to (a member may have several phones)."""

    outcomes: set[Outcome] = field(default_factory=set)
    error_code: str = ""
    retry_after: float | None = None


# The task (its name is fixed: routes and queued messages use it).
# A lambda, so that each call looks the function up (tests replace it).
send_push_task = survives_database_loss("notifications.tasks.send_push", lambda ids: send_push(ids))


def publish_or_release(channel: str, delivery_ids: Sequence[int], countdown: float | None = None) -> int:
    """Publish send tasks for these deliveries, PUSH_CALL or SEND_BATCH a task; a batch the broker refused is marked
    unpublished, so that the next sweep (30 s) publishes it instead of waiting for the lost-task timeout.
    Returns how many tasks went out."""
    task = SEND_TASKS[Channel(channel)]
    published = 0
    for batch in chunks(delivery_ids, PUSH_CALL if channel == Channel.PUSH else SEND_BATCH):
        if broker.publish(task, [batch], countdown, what=f"{channel} x{len(batch)}"):
            published += 1
        else:
            Delivery.objects.filter(pk__in=batch).update(dispatched_at=None)
    return published


def send_push(delivery_ids: Sequence[int]) -> int:
    """Send a batch of push deliveries, one provider call per ≤PUSH_CALL; returns how many went."""
    sent, failed, messages = 0, list[Claimed](), dict[int, Message]()
    for group in chunks(list(delivery_ids), PUSH_CALL):
        went, lost, left = _push_call(group, messages)
        sent, failed = sent + went, failed + lost
        if left:
            log.warning("notifications: push call past %.0fs; %s deliveries handed to a new task", PUSH_CALL_SECONDS,
                        len(left))  # fmt: skip
            publish_or_release(Channel.PUSH, left)
    _fall_back_to_sms(failed, messages)
    return sent


def _push_call(ids: list[int], messages: dict[int, Message]) -> tuple[int, list[Claimed], list[int]]:
    """One provider call; returns how many went, the deliveries that failed for good and those it did not
    claim in PUSH_CALL_SECONDS.

    The deliveries are claimed PUSH_CLAIM at a time, as the transport takes them (transports.base.
    send_stream), all under one token: a worker killed during the call leaves `sending`, and so never
    resent, the requests in flight or queued and one claim, not the whole call. Rows already handled (a second
    run of the same task, a re-published batch) are simply not claimed. Each part is recorded as soon as its
    results are in, while the next part's requests are in flight (with a transport that says so: fcm_curl).
    """
    call = _PushCall(uuid.uuid4(), messages)
    went, refused = call.finish(_call_stream(call.pushes(ids), call.settled))
    return went, refused, call.left


@dataclass(eq=False)
class _PushCall:
    """One provider call's parts: what each claimed, and whether its results were recorded yet."""

    token: uuid.UUID
    messages: dict[int, Message]
    shapes: dict[int, composer.PushFields] = field(default_factory=dict)  # by message: shared by its copies
    parts: list[list[Claimed]] = field(default_factory=list)  # the claimed rows of each part handed over
    recorded: set[int] = field(default_factory=set)  # parts whose results are recorded
    without: list[Claimed] = field(default_factory=list)  # claimed, but no active device (left since planning)
    sent: int = 0
    refused: list[Claimed] = field(default_factory=list)
    left: list[int] = field(default_factory=list)  # not claimed: the call ran out of time first

    def pushes(self, ids: list[int]) -> Iterator[list[PushMessage]]:
        """The call's pushes a part at a time: claiming a part (and reading its devices) is taking it."""
        ends = time.monotonic() + PUSH_CALL_SECONDS
        for start in range(0, len(ids), PUSH_CLAIM):
            if start and time.monotonic() > ends:
                self.left = ids[start:]
                return
            part = ids[start:start + PUSH_CLAIM]
            got, devices = claims.claim_push(part, self.token)
            self.messages.update(_messages({d.message_id for d in got} - self.messages.keys()))
            for d in got:
                if d.message_id not in self.shapes:
                    self.shapes[d.message_id] = composer.push_fields(self.messages[d.message_id])
            self.without += [d for d in got if d.pk not in devices]
            part_pushes = [PushMessage(key=f"{d.pk}:{device_pk}", token=fcm, **self.shapes[d.message_id])
                           for d in got for device_pk, fcm in devices.get(d.pk, ())]  # fmt: skip
            if part_pushes:
                self.parts.append([d for d in got if d.pk in devices])
                yield part_pushes

    def settled(self, part: int, results: list[SendResult]) -> None:
        self.recorded.add(part)
        self._record(self.parts[part], {r.key: r for r in results})

    def finish(self, results: dict[str, SendResult]) -> tuple[int, list[Claimed]]:
        """Record what the transport did not hand over part by part; returns how many went and the deliveries
        that failed for good."""
        rest = [d for i, part in enumerate(self.parts) if i not in self.recorded for d in part]
        if rest:
            pks = {d.pk for d in rest}
            self._record(rest, {key: r for key, r in results.items() if int(key.split(":", 1)[0]) in pks})
        claims.mark_final(self.token, [d.pk for d in self.without], DeliveryStatus.FAILED, "no_device")
        return self.sent, self.without + self.refused

    def _record(self, claimed: list[Claimed], results: dict[str, SendResult]) -> None:
        went, refused = _record_push(self.token, claimed, results)
        self.sent += went
        self.refused += refused


def _call_stream(parts: Iterator[list[PushMessage]], settled: Settled | None = None) -> dict[str, SendResult]:
    """_call() for messages handed over in parts (transports.base.send_stream), each part's results handed to
    `settled` as soon as they are in when the transport can."""
    handed: list[PushMessage] = []

    def handing() -> Iterator[list[PushMessage]]:
        for part in parts:
            handed.extend(part)
            yield part

    try:
        return {r.key: r for r in send_stream(get_push_backend(), handing(), settled)}
    except Exception as exc:  # noqa: BLE001 - logged with its traceback by _unknown
        return _unknown(handed, exc)


def _messages(ids: set[int]) -> dict[int, Message]:
    if not ids:
        return {}
    return {m.pk: m for m in Message.objects.filter(pk__in=ids).select_related("commune", "replaces")}


def _call(send: Callable[[list[SmsMessage]], Sequence[SendResult]], messages: list[SmsMessage]) -> dict[str, SendResult]:
    """One provider call's results by key."""
    if not messages:
        return {}
    try:
        return {r.key: r for r in send(messages)}
    except Exception as exc:  # noqa: BLE001 - logged with its traceback by _unknown
        return _unknown(messages, exc)


def _unknown(messages: Sequence[PushMessage | SmsMessage], exc: Exception) -> dict[str, SendResult]:
    """A transport that raised: what it was given may or may not have left (a push is resent under its tag,
    an SMS checked with Twilio). Called inside the `except` block, so that the log carries the traceback."""
    log.exception("notifications: transport raised %s during a call of %s", type(exc).__name__, len(messages))
    return {m.key: SendResult(key=m.key, outcome=Outcome.UNKNOWN, error_code="transport_error") for m in messages}


def _tallies(results: dict[str, SendResult]) -> dict[int, Tally]:
    tallies: dict[int, Tally] = defaultdict(Tally)
    for key, result in results.items():
        tally = tallies[int(key.split(":")[0])]
        tally.outcomes.add(result.outcome)
        tally.error_code = tally.error_code or result.error_code
        if result.retry_after:
            tally.retry_after = max(tally.retry_after or 0, result.retry_after)
    return tallies


def _verdict(tally: Tally) -> Outcome:
    # One phone that got it is enough. A push that may have left is sent again: it carries the message's
    # notification tag, so on a phone that did show it the second copy replaces the first.
    if Outcome.SENT in tally.outcomes:
        return Outcome.SENT
    if tally.outcomes & {Outcome.UNKNOWN, Outcome.TRANSIENT} or not tally.outcomes:
        return Outcome.TRANSIENT
    return Outcome.PERMANENT


def _record_push(token: uuid.UUID, claimed: list[Claimed], results: dict[str, SendResult]) -> tuple[int, list[Claimed]]:
    """Record a provider call's outcomes; returns how many went and the deliveries that failed for good."""
    tallies = _tallies(results)
    by_outcome: dict[Outcome, list[Claimed]] = defaultdict(list)
    for d in claimed:
        if d.pk in tallies:
            by_outcome[_verdict(tallies[d.pk])].append(d)
    _deactivate_devices(results)
    sent = claims.mark_sent(token, [d.pk for d in by_outcome[Outcome.SENT]])
    _mark_refused(token, by_outcome[Outcome.PERMANENT], tallies)
    _retry(token, Channel.PUSH, by_outcome[Outcome.TRANSIENT], tallies)
    return sent, by_outcome[Outcome.PERMANENT]


def _mark_refused(token: uuid.UUID, refused: Sequence[Claimable], tallies: dict[int, Tally]) -> None:
    """Refused for good: failed, one UPDATE per error code."""
    for code, group in _by_code(refused, tallies).items():
        claims.mark_final(token, [d.pk for d in group], DeliveryStatus.FAILED, code)


def _by_code(deliveries: Sequence[Claimable], tallies: dict[int, Tally]) -> dict[str, list[Claimable]]:
    groups: dict[str, list[Claimable]] = defaultdict(list)
    for d in deliveries:
        groups[tallies[d.pk].error_code].append(d)
    return groups


def _retry(token: uuid.UUID, channel: str, deliveries: Sequence[Claimable], tallies: dict[int, Tally]) -> None:
    if not deliveries:
        return
    retry_after = max((tallies[d.pk].retry_after or 0 for d in deliveries), default=0) or None
    code = next((tallies[d.pk].error_code for d in deliveries if tallies[d.pk].error_code), "transient")
    ids, delay = claims.mark_retry(token, deliveries, retry_after, code)
    if ids:
        publish_or_release(channel, ids, countdown=delay)
    log.info("notifications: %s %s deliveries retry in %.0fs", len(deliveries), channel, delay)


def _deactivate_devices(results: dict[str, SendResult]) -> None:
    dead: dict[str, list[int]] = defaultdict(list)
    for key, result in results.items():
        if result.deactivate_recipient and ":" in key:
            dead[result.error_code or "unregistered"].append(int(key.split(":")[1]))
    for reason, device_ids in dead.items():
        Device.objects.filter(pk__in=device_ids, active=True).update(active=False, deactivated_reason=reason[:60])
        log.info("notifications: %s push devices deactivated (%s)", len(device_ids), reason)


def _fall_back_to_sms(deliveries: Sequence[Claimable], messages: dict[int, Message]) -> None:
    """Members whose push failed for good and who have no active device left get the SMS instead.

    They chose push (or they would have an SMS row already): with no working phone app, an SMS is the
    only way the alert reaches them, as the planner does for members without a device. The number's
    opt-out is checked at send time; the unique constraint keeps this idempotent.
    """
    candidates = [d for d in deliveries if Channel.SMS in messages[d.message_id].channels]
    if not candidates:
        return
    still_reachable = set(
        Device.objects.filter(user_id__any=[d.user_id for d in candidates], active=True).values_list("user_id", flat=True)
    )
    rows = [
        Delivery(message_id=d.message_id, user_id=d.user_id, channel=Channel.SMS)
        for d in candidates
        if d.user_id not in still_reachable
    ]
    if not rows:
        return
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        ids = list(
            Delivery.objects.filter(claims.pending(), channel=Channel.SMS, message_id__in={r.message_id for r in rows},
                                    user_id__any=[r.user_id for r in rows], dispatched_at__isnull=True)
            .values_list("pk", flat=True)
        )  # fmt: skip
        Delivery.objects.filter(pk__any=ids).update(dispatched_at=timezone.now())
        transaction.on_commit(lambda: publish_or_release(Channel.SMS, ids))
    log.info("notifications: %s members fall back to SMS (no working device)", len(ids))


# The task (its name is fixed: routes and queued messages use it).
# A lambda, so that each call looks the function up (tests replace it).
send_sms_task = survives_database_loss("notifications.tasks.send_sms", lambda ids: send_sms(ids))
# Voice's task is defined in voice.py (which imports this module), under this name.
SEND_TASKS = {Channel.PUSH: send_push_task.name, Channel.SMS: send_sms_task.name,
              Channel.VOICE: "notifications.tasks.send_voice"}  # fmt: skip


def send_sms(delivery_ids: Sequence[int]) -> int:
    """Send SMS deliveries a call at a time, each call holding its share of the global rate; returns how many went."""
    sent, ids = 0, list(delivery_ids)
    still = StillRunning(ids)
    for group in chunks(ids, SMS_READ):
        phone = Cast("user__phone", CharField())
        due = list(claims.due_among(group, Channel.SMS).annotate(phone=phone).only(*_FIELDS).order_by("id"))
        if due:  # else already handled by another task: spend no rate on it
            went, stalled = _send_sms_group(due, still)
            sent += went
            if stalled:
                break
    return sent


class StillRunning:
    """A task slowed by the SMS rate is not a lost one: every STILL_RUNNING_SECONDS its rows not yet sent say
    it is still at work, so that the sweeper does not publish them again while they wait their turn."""

    def __init__(self, ids: list[int]) -> None:
        self.ids, self.last = ids, time.monotonic()

    def beat(self) -> None:
        if time.monotonic() - self.last < STILL_RUNNING_SECONDS:
            return
        self.last = time.monotonic()
        Delivery.objects.filter(claims.pending(), pk__any=self.ids, dispatched_at__isnull=False).update(
            dispatched_at=timezone.now()
        )


def _send_sms_group(due: Sequence[WithPhone], still: StillRunning) -> tuple[int, bool]:
    """Send rows just read as due; returns how many went and whether the rate stalled (the rest stay pending)."""
    messages = _messages({d.message_id for d in due})
    texts = {pk: composer.sms_text(m) for pk, m in messages.items()}
    parts = {pk: composer.sms_segments(text) for pk, text in texts.items()}
    phones = {d.pk: d.phone for d in due if d.phone}
    opted_out = opted_out_numbers([d.user_id for d in due])
    sent, backend = 0, get_sms_backend()
    for group in chunks(due, min(SMS_CALL, ratelimit.largest_burst())):
        still.beat()
        # Held before the claim, so that a queue waiting for the rate holds no claims.
        with ratelimit.held(len(group)) as hold:
            if hold is None:
                log.warning("notifications: SMS rate not granted in time; deliveries left pending for the sweeper")
                _left_for_the_sweeper([d.pk for d in due])
                return sent, True
            lease, claimed_at = sms_lease_seconds(), time.monotonic()  # the deadline counts from before the claim
            token, claimed = claims.claim_known(group, Channel.SMS, lease)  # rows another worker took are skipped
            blocked = {d.pk for d in claimed if phones.get(d.pk, "") in opted_out or d.pk not in phones}
            claims.mark_final(token, sorted(blocked), DeliveryStatus.CANCELLED, "opted_out")
            outgoing = [d for d in claimed if d.pk not in blocked]
            hold.shrink(len(outgoing))
            sms = [composer.sms_for(messages[d.message_id], d.key, phones[d.pk], texts[d.message_id]) for d in outgoing]
            with call_deadline(sms_start_deadline(lease, claimed_at)):
                results = _call(backend.send_batch, sms)
        sent += _record_sms(token, outgoing, results, {d.pk: parts[d.message_id] for d in outgoing}, phones)
    return sent, False


def sms_lease_seconds() -> float:
    """An SMS claim's lease: long enough for its call to start requests for SMS_CALL_WINDOW and for the last of
    them to end (connect and read timeouts), with a margin; never shorter than the configured lease."""
    return max(float(settings.NOTIFICATIONS_LEASE_SECONDS), SMS_CALL_WINDOW + _request_max() + LEASE_MARGIN_SECONDS)


def sms_start_deadline(lease_seconds: float, claimed_at: float) -> float:
    """No SMS of a call starts later than this (monotonic, from a moment taken before the claim), so that every
    request of a claim has ended, answered or timed out, before its lease does: a lease that ran out then means
    Twilio's record is final, and the check (reconcile.py) can trust it."""
    return claimed_at + max(lease_seconds - _request_max() - LEASE_MARGIN_SECONDS, 0.0)


def _left_for_the_sweeper(ids: list[int]) -> None:
    """Rows a stalled task gives up: published again by the next sweep, not after the lost-task delay."""
    Delivery.objects.filter(claims.pending(), pk__any=ids).update(dispatched_at=None)


def _request_max() -> float:
    return 2 * float(settings.TWILIO_TIMEOUT_SECONDS)  # connect, then read


def _record_sms(token: uuid.UUID, outgoing: Sequence[Delivery], results: dict[str, SendResult],
                parts: dict[int, int], phones: dict[int, str]) -> int:  # fmt: skip
    """One UPDATE per outcome (and error code) for the whole call, as for push."""
    by_outcome: dict[Outcome, list[Delivery]] = defaultdict(list)
    tallies: dict[int, Tally] = {}
    for d in outgoing:
        result = results.get(d.key) or SendResult(key=d.key, outcome=Outcome.UNKNOWN, error_code="no_result")
        by_outcome[result.outcome].append(d)
        tallies[d.pk] = Tally({result.outcome}, result.error_code, result.retry_after)
    accepted = [(d.pk, results[d.key].provider_id, results[d.key].segments or parts[d.pk])
                for d in by_outcome[Outcome.SENT]]  # fmt: skip
    sent = claims.mark_sms_sent(token, accepted)
    _mark_refused(token, by_outcome[Outcome.PERMANENT], tallies)
    # May have left: Twilio's record decides whether it is sent again (reconcile.py).
    claims.mark_checking(token, [d.pk for d in by_outcome[Outcome.UNKNOWN]], "unknown")
    for d in by_outcome[Outcome.PERMANENT]:
        if results[d.key].deactivate_recipient:
            SmsOptOut.objects.get_or_create(phone=phones[d.pk])
    _retry(token, Channel.SMS, by_outcome[Outcome.TRANSIENT], tallies)
    return sent
