"""Claiming and sending: never twice, retries with backoff, permanent failures, what the provider gets."""

import itertools
import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from conftest import Town
from notifications import claims, planner, sender
from notifications.models import Delivery, DeliveryStatus, Device, Message, SmsOptOut
from providers import gsm, ratelimit
from providers.base import Outcome, SendResult

from .helpers import member, message
from .recording import RecordingPush, accept, transports_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("transports")


def planned_ids(msg, channel: str, user=None) -> list[int]:
    planner.plan(msg.pk)
    rows = Delivery.objects.filter(message=msg, channel=channel).order_by("pk")
    if user is not None:
        rows = rows.filter(user=user)
    return list(rows.values_list("pk", flat=True))


def test_it_sends_each_delivery_once_when_the_task_runs_twice(saint_paul: Town, transports) -> None:
    push, _ = transports
    users = [member(saint_paul.commune) for _ in range(3)]
    ids = planned_ids(message(saint_paul.commune), "push")
    assert sender.send_push(ids) == 3
    assert sender.send_push(ids) == 0
    assert len(push.calls) == 1
    assert sorted(m.token for m in push.sent) == sorted(f"token-{u.pk}-{'x' * 20}" for u in users)
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_it_pushes_title_body_alert_id_and_collapse_key(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune, urgent=True)
    sender.send_push(planned_ids(msg, "push"))
    sent = push.sent[0]
    assert (sent.title, sent.body, sent.urgent) == (msg.title, msg.body, True)
    assert sent.data["alert_id"] == "42"
    assert sent.collapse_key == "alert-42"


def test_it_sends_every_device_of_a_member(saint_paul: Town, transports) -> None:
    push, _ = transports
    user = member(saint_paul.commune)
    Device.objects.create(user=user, fcm_token="second-phone-token", platform="ios")
    sender.send_push(planned_ids(message(saint_paul.commune), "push"))
    assert len(push.sent) == 2


# PostgreSQL only: SQLite's shared-cache test database answers a second concurrent writer "table is locked"
# at once instead of waiting (the embedded default runs its tasks in-process, one at a time).
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_lets_only_one_of_two_concurrent_claims_take_a_delivery(
    saint_paul: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner, "publish_or_release", lambda *a, **k: 0)  # the threads below do the sending
    for _ in range(40):
        member(saint_paul.commune)
    ids = planned_ids(message(saint_paul.commune), "push")
    barrier, got = threading.Barrier(2), []

    def take() -> None:
        barrier.wait()
        got.append([d.pk for d in claims.claim(ids, "push")[1]])
        connection.close()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(got[0]) & set(got[1])
    assert sorted(got[0] + got[1]) == ids


def test_it_retries_transient_failures_with_backoff(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    push.script = lambda m: SendResult(key=m.key, outcome=Outcome.TRANSIENT, error_code="503", retry_after=120)
    ids = planned_ids(message(saint_paul.commune), "push")
    with time_machine.travel(timezone.now(), tick=False):
        sender.send_push(ids)
        row = Delivery.objects.get(pk=ids[0])
        assert (row.status, row.attempts, row.error_code) == (DeliveryStatus.PENDING, 1, "503")
        assert row.not_before == timezone.now() + timedelta(seconds=120)  # the provider's Retry-After wins
        assert sender.send_push(ids) == 0  # not due yet: no second call
    assert len(push.calls) == 1


def test_it_keeps_trying_through_a_long_outage_and_gives_up_only_when_the_alert_is_stale(
    saint_paul: Town, transports
) -> None:
    push, _ = transports
    member(saint_paul.commune)
    push.script = lambda m: SendResult(key=m.key, outcome=Outcome.TRANSIENT, error_code="500")
    ids = planned_ids(message(saint_paul.commune), "push")
    start = timezone.now()
    for minute in range(1, 21):  # twenty minutes of outage, a try a minute: never given up
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            sender.send_push(ids)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 20)
    assert row.not_before is not None
    assert row.not_before <= start + timedelta(minutes=20, seconds=claims.BACKOFF_MAX_SECONDS * 1.2)
    with time_machine.travel(start + timedelta(seconds=claims.GIVE_UP_SECONDS + 60), tick=False):
        sender.send_push(ids)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.error_code) == (DeliveryStatus.FAILED, "expired")
    assert len(push.calls) == 21


def test_it_grows_the_backoff_exponentially_up_to_half_a_minute() -> None:
    delays = [claims.backoff_seconds(n, None) for n in (1, 2, 3)]
    assert all(b > a for a, b in itertools.pairwise(delays))
    assert 5 <= delays[0] <= 6
    assert all(claims.backoff_seconds(n, None) <= 36 for n in (5, 10, 50))  # 30 s, and jitter
    assert claims.backoff_seconds(1, 300) == 300


def test_it_deactivates_unregistered_devices_and_falls_back_to_sms(saint_paul: Town, transports) -> None:
    push, sms = transports
    user = member(saint_paul.commune, channels=["push"])
    push.script = lambda m: SendResult(key=m.key, outcome=Outcome.PERMANENT, error_code="UNREGISTERED",
                                       deactivate_recipient=True)  # fmt: skip
    msg = message(saint_paul.commune)
    sender.send_push(planned_ids(msg, "push"))
    device = user.devices.get()
    assert (device.active, device.deactivated_reason) == (False, "UNREGISTERED")
    assert Delivery.objects.get(message=msg, user=user, channel="push").status == DeliveryStatus.FAILED
    fallback = Delivery.objects.get(message=msg, user=user, channel="sms")
    sender.send_sms([fallback.pk])
    assert [m.to for m in sms.sent] == [str(user.phone)]


def test_it_resends_a_push_whose_outcome_is_unknown_under_the_same_tag(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    push.script = lambda m: SendResult(key=m.key, outcome=Outcome.UNKNOWN, error_code="network")
    ids = planned_ids(message(saint_paul.commune), "push")
    sender.send_push(ids)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.error_code) == (DeliveryStatus.PENDING, "network")
    push.script = accept
    assert row.not_before is not None
    with time_machine.travel(row.not_before + timedelta(seconds=1)):
        sender.send_push(ids)
    assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.SENT
    first, second = push.sent
    assert first.collapse_key == second.collapse_key != ""  # the second copy replaces the first on the phone


def test_it_has_twilio_decide_an_sms_whose_outcome_is_unknown(saint_paul: Town, transports) -> None:
    _, sms = transports
    texter = member(saint_paul.commune, channels=["sms"])
    sms.script = lambda m: SendResult(key=m.key, outcome=Outcome.UNKNOWN, error_code="network")
    ids = planned_ids(message(saint_paul.commune), "sms", texter)
    sender.send_sms(ids)
    sender.send_sms(ids)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.error_code) == (DeliveryStatus.CHECKING, "unknown")
    assert len(sms.calls) == 1  # never blindly resent


def test_it_sends_sms_in_one_gsm7_segment_and_records_it(saint_paul: Town, transports) -> None:
    _, sms = transports
    texter = member(saint_paul.commune, channels=["sms"])
    msg = message(saint_paul.commune, title="Véhicule suspect", body="Une camionnette blanche « rôde » " * 10)
    ids = planned_ids(msg, "sms", texter)
    assert sender.send_sms(ids) == 1
    text = sms.sent[0].body
    assert sms.sent[0].to == str(texter.phone)
    assert gsm.is_gsm7(text) and gsm.segments(text) == 1
    assert text.startswith("Vigilants Saint-Paul-de-Vence : Véhicule suspect - Une camionnette blanche \" rode \"")
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.segments, row.provider_id) == (DeliveryStatus.SENT, 1, f"SM{ids[0]}")


def test_it_records_a_whole_sms_call_at_once_and_keeps_what_a_callback_wrote(saint_paul: Town) -> None:
    texters = [member(saint_paul.commune, channels=["sms"]) for _ in range(3)]
    msg = message(saint_paul.commune)
    ids = [i for t in texters for i in planned_ids(msg, "sms", t)]
    token, claimed = claims.claim(ids, "sms")
    Delivery.objects.filter(pk=ids[1]).update(status=DeliveryStatus.DELIVERED, claim_token=None)  # callback first
    got = claims.mark_sms_sent(token, [(ids[0], "SMa", 1), (ids[1], "SMb", 2), (ids[2], "SMc", 3)])
    rows = {d.pk: (d.status, d.provider_id, d.segments) for d in Delivery.objects.filter(pk__in=ids)}
    assert (got, len(claimed)) == (2, 3)
    assert rows == {ids[0]: (DeliveryStatus.SENT, "SMa", 1), ids[1]: (DeliveryStatus.DELIVERED, "", 2),
                    ids[2]: (DeliveryStatus.SENT, "SMc", 3)}  # fmt: skip


def test_it_opts_a_number_out_when_twilio_says_21610(saint_paul: Town, transports) -> None:
    _, sms = transports
    texter = member(saint_paul.commune, channels=["sms"])
    sms.script = lambda m: SendResult(key=m.key, outcome=Outcome.PERMANENT, error_code="21610",
                                      deactivate_recipient=True)  # fmt: skip
    ids = planned_ids(message(saint_paul.commune), "sms", texter)
    sender.send_sms(ids)
    assert SmsOptOut.objects.filter(phone=str(texter.phone)).exists()
    assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.FAILED


def test_it_cancels_sms_to_a_number_that_opted_out_after_planning(saint_paul: Town, transports) -> None:
    _, sms = transports
    texter = member(saint_paul.commune, channels=["sms"])
    ids = planned_ids(message(saint_paul.commune), "sms", texter)
    SmsOptOut.objects.create(phone=str(texter.phone))
    sender.send_sms(ids)
    assert sms.sent == []
    assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.CANCELLED


def test_it_sends_a_push_again_when_the_transport_raised(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)

    def boom(m: object) -> SendResult:
        raise RuntimeError("socket closed")

    push.script = boom
    ids = planned_ids(message(saint_paul.commune), "push")
    sender.send_push(ids)
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.error_code) == (DeliveryStatus.PENDING, "transport_error")


@pytest.mark.postgres
@pytest.mark.django_db
def test_claims_go_through_the_primary_key_when_statistics_say_nothing_is_pending(saint_paul: Town) -> None:
    # The state right before a big fan-out: statistics taken when every delivery was final, then
    # thousands of new pending rows. A claim must not scan them all through the partial index.
    user = member(saint_paul.commune)
    messages = Message.objects.bulk_create(
        Message(commune=saint_paul.commune, kind="alert", title="t", body="b", channels=["push"]) for _ in range(4000)
    )
    Delivery.objects.bulk_create(Delivery(message=m, user=user, channel="push", status="sent") for m in messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_delivery")
    Delivery.objects.update(status=DeliveryStatus.PENDING)
    ids = list(Delivery.objects.order_by("pk").values_list("pk", flat=True)[1000:1500])
    plan = claims.due_among(ids, "push").explain()
    assert "delivery_active" not in plan and "notifications_delivery_pkey" in plan, plan
    with connection.cursor() as cursor:  # and the claim itself, written by hand for PostgreSQL
        sql, params = claims.claim_statement(ids, "push", uuid.uuid4())
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "delivery_active" not in plan and "notifications_delivery_pkey" in plan, plan
    assert len(claims.claim(ids, "push")[1]) == 500


@pytest.mark.postgres
@pytest.mark.django_db
def test_deliveries_carry_only_the_indexes_their_readers_need() -> None:
    # Every index of this table is written when a delivery is planned, claimed and sent (100,000 rows an
    # alert): one more is a deliberate choice, not a side effect of a ForeignKey or db_index.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'notifications_delivery'")
        indexes = {name for (name,) in cursor.fetchall()}
    assert indexes == {"notifications_delivery_pkey", "delivery_message_user_channel", "delivery_active",
                       "delivery_provider_id", "notifications_delivery_user_id_70f8752d"}  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_claim_returns_what_the_send_needs_in_one_statement(saint_paul: Town, django_assert_num_queries) -> None:
    user = member(saint_paul.commune)
    msg = message(saint_paul.commune)
    ids = planned_ids(msg, "push", user)
    with django_assert_num_queries(1):
        token, claimed = claims.claim([*ids, 10**9], "push")
    assert claimed == [claims.Claimed(ids[0], msg.pk, user.pk, 1)]
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.claim_token, row.attempts) == (DeliveryStatus.SENDING, token, 1)
    assert claims.claim(ids, "push")[1] == []  # taken: a second claim gets nothing


def test_send_tasks_leave_deliveries_of_the_other_channel_alone(saint_paul: Town, transports) -> None:
    push, sms = transports
    texter = member(saint_paul.commune, channels=["push", "sms"])
    msg = message(saint_paul.commune)
    push_ids, sms_ids = planned_ids(msg, "push", texter), planned_ids(msg, "sms", texter)
    assert (sender.send_sms(push_ids), sender.send_push(sms_ids)) == (0, 0)
    assert (push.sent, sms.sent) == ([], [])
    assert set(Delivery.objects.filter(pk__in=push_ids + sms_ids).values_list("status", flat=True)) == {"pending"}


def test_a_call_claims_its_deliveries_a_part_at_a_time_as_the_transport_takes_them(
    saint_paul: Town, transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed during a call leaves `sending` (never resent) only what the transport had taken."""
    monkeypatch.setattr(sender, "PUSH_CLAIM", 2)
    for _ in range(5):
        member(saint_paul.commune)
    ids = planned_ids(message(saint_paul.commune), "push")
    sending_at_each_take = []

    class Streaming(RecordingPush):
        def send_stream(self, chunks):
            results = []
            for chunk in chunks:
                sending_at_each_take.append(Delivery.objects.filter(pk__in=ids, status="sending").count())
                results += self.send_batch(chunk)
            return results

    streaming = Streaming()
    monkeypatch.setattr(sender, "get_push_backend", lambda: streaming)
    assert sender.send_push(ids) == len(ids) == 5
    assert sending_at_each_take == [2, 4, 5]
    assert len(streaming.sent) == 5
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_a_call_past_its_time_hands_what_it_has_not_claimed_to_a_new_task(
    saint_paul: Town, transports, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider answering nothing must not keep a call of PUSH_CALL past Celery's time limit."""
    push, _ = transports
    monkeypatch.setattr(sender, "PUSH_CLAIM", 2)
    monkeypatch.setattr(sender, "PUSH_CALL_SECONDS", -1.0)  # out of time as soon as the first part is taken
    for _ in range(5):
        member(saint_paul.commune)
    ids = planned_ids(message(saint_paul.commune), "push")
    handed = []
    monkeypatch.setattr(sender, "publish_or_release", lambda channel, rest, countdown=None: handed.append((channel, rest)))
    assert sender.send_push(ids) == 2
    assert handed == [("push", ids[2:])]
    assert list(Delivery.objects.filter(pk__in=ids[2:]).values_list("status", flat=True)) == ["pending"] * 3
    monkeypatch.setattr(sender, "PUSH_CALL_SECONDS", 60.0)
    assert sender.send_push(ids[2:]) == 3  # the new task
    assert len(push.sent) == 5


def test_sms_left_pending_when_the_rate_is_not_granted_go_on_the_next_run(
    saint_paul: Town, transports, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, sms = transports
    settings.SMS_MAX_PER_SECOND = 2
    monkeypatch.setattr(ratelimit, "ACQUIRE_TIMEOUT_SECONDS", 0.2)
    texters = [member(saint_paul.commune, channels=["sms"], device=False) for _ in range(3)]
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    ids = list(Delivery.objects.filter(message=msg, channel="sms", user__in=texters).values_list("pk", flat=True))
    other_worker = ratelimit.acquire(2)  # the whole second's share, held by a call elsewhere
    assert sender.send_sms(ids) == 0
    assert sms.sent == []
    rows = Delivery.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}  # nothing claimed
    assert other_worker is not None
    other_worker.end()
    monkeypatch.setattr(ratelimit, "ACQUIRE_TIMEOUT_SECONDS", 5)
    assert sender.send_sms(ids) == 3  # the sweeper's re-publication runs the task again
    assert sorted(m.to for m in sms.sent) == sorted(str(u.phone) for u in texters)
