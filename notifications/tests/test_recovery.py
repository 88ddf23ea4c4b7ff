"""What a dead worker, a lost answer, a lost queue or a lost database connection leave behind is decided and
sent on: pushes again under their tag, SMS after asking the provider, lost tasks published again."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from conftest import Town
from notifications import broker, claims, planner, reconcile, sender, sweeper
from notifications.models import Delivery, DeliveryStatus
from providers.base import LookupUnavailable, Outcome, SendResult, call_deadline, past_deadline
from providers.fcm_push import web_push_topic
from tests.throwaway_redis import needs_redis_server, throwaway_redis
from vigilants.celery import app as celery_app

from .helpers import member, message
from .recording import transports_fixture  # noqa: F401 - fixture

LEASE = timedelta(seconds=30)  # longer than any lease the settings give (SMS: the call's window and requests)


def sms_row(town: Town) -> Delivery:
    texter = member(town.commune, channels=["sms"], device=False)
    msg = message(town.commune)
    planner.plan(msg.pk)
    return Delivery.objects.get(message=msg, user=texter, channel="sms")


def checking(row: Delivery) -> None:
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.CHECKING, not_before=timezone.now())


def test_an_sms_twilio_has_is_recorded_as_sent_and_not_sent_again(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    checking(row)
    sms.found[row.key] = "SM0123"
    assert reconcile.check_sms([row.pk]) == {"found": 1}
    row.refresh_from_db()
    assert (row.status, row.provider_id) == (DeliveryStatus.SENT, "SM0123")
    assert sms.calls == []
    (to, body, since) = sms.lookups[0]
    assert to == str(row.user.phone) and "Cambriolage" in body and since == row.message.created_at


def test_an_sms_twilio_never_took_is_sent_once(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    checking(row)
    assert reconcile.check_sms([row.pk]) == {"resend": 1}
    assert reconcile.check_sms([row.pk]) == {}  # a second check of the same row: nothing to decide
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert [m.to for m in sms.sent] == [str(row.user.phone)]


def test_a_check_twilio_cannot_answer_is_asked_again_later_then_given_up(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    checking(row)
    sms.lookup_error = LookupUnavailable("503")
    assert reconcile.check_sms([row.pk]) == {"later": 1}
    row.refresh_from_db()
    assert row.status == DeliveryStatus.CHECKING and row.not_before is not None and row.not_before > timezone.now()
    with time_machine.travel(timezone.now() + timedelta(seconds=claims.GIVE_UP_SECONDS + 1)):
        assert sweeper.sweep()["checks"] == 0
    row.refresh_from_db()
    assert (row.status, row.error_code) == (DeliveryStatus.UNKNOWN, "undecided")
    assert str(row.user.phone) not in [m.to for m in sms.sent]  # never guessed


def test_a_backend_with_no_record_to_ask_leaves_the_sms_unknown(saint_paul: Town, transports, monkeypatch) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    checking(row)
    monkeypatch.delattr(type(sms), "find_sent")  # a transport that keeps no record
    assert reconcile.check_sms([row.pk]) == {"undecided": 1}
    assert Delivery.objects.get(pk=row.pk).status == DeliveryStatus.UNKNOWN


def test_the_sweeper_publishes_checks_and_the_check_decides(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    claims.claim([row.pk], "sms")  # the worker dies inside its Twilio call
    expired = timezone.now() + LEASE + timedelta(seconds=1)
    assert sweeper.sweep()["sms_to_check"] == 0  # its lease still runs: the worker may be alive
    with time_machine.travel(expired):
        report = sweeper.sweep()
    assert (report["sms_to_check"], report["checks"]) == (1, 1)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT  # not found at Twilio: sent, once
    assert len(sms.sent) == 1


def test_a_lost_task_is_published_again_when_its_queue_is_empty(saint_paul: Town, transports, monkeypatch) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)  # its send task is published after commit: never, here (lost)
    rows = Delivery.objects.filter(message=msg, channel="push")
    rows.update(dispatched_at=timezone.now())
    monkeypatch.setattr(broker, "queue_is_empty", lambda name: False)
    with time_machine.travel(timezone.now() + timedelta(seconds=25)):
        assert sweeper.sweep()["published"] == 0  # still queued somewhere: late, not lost
        monkeypatch.setattr(broker, "queue_is_empty", lambda name: name == "push")
        assert sweeper.sweep()["published"] == 1
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert len(push.sent) == rows.count()


def test_everything_waiting_is_published_again_when_the_broker_forgot_its_queues(
    saint_paul: Town, transports, monkeypatch
) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    Delivery.objects.filter(message=msg).update(dispatched_at=timezone.now())
    monkeypatch.setattr(broker, "queue_is_empty", lambda name: False)
    monkeypatch.setattr(broker, "forgot_everything", lambda: True)
    assert sweeper.sweep()["published"] >= 1  # at once: no waiting for the lost-task delay
    assert not Delivery.objects.filter(message=msg, channel="push", status=DeliveryStatus.PENDING).exists()
    assert push.sent


@needs_redis_server
def test_the_broker_epoch_says_once_that_a_redis_broker_came_back_empty(monkeypatch, settings) -> None:
    monkeypatch.setattr(broker, "_in_process", lambda: False)
    with throwaway_redis() as server:  # a Redis broker of the test's own, whatever the run's broker is
        settings.BROKER_IS_REDIS = True
        monkeypatch.setitem(celery_app.conf, "broker_url", server.url)
        client = server.client()
        assert broker.forgot_everything() is True
        assert broker.forgot_everything() is False
        client.flushdb()
        assert broker.forgot_everything() is True


def test_a_task_that_lost_its_database_is_retried_at_once(monkeypatch) -> None:
    calls = []

    def flaky(ids: list[int]) -> int:
        calls.append(ids)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return len(ids)

    monkeypatch.setattr(sender, "send_push", flaky)
    result = sender.send_push_task.apply(args=[[1, 2]])
    assert result.get() == 2 and calls == [[1, 2], [1, 2]]


def test_no_sms_of_a_call_starts_after_its_deadline() -> None:
    from providers.base import SmsMessage
    from providers.twilio_sms import TwilioSmsBackend

    backend, started = TwilioSmsBackend(), []

    def slow_send(message: SmsMessage) -> SendResult:
        started.append(message.key)
        time.sleep(0.3)
        return SendResult(message.key, Outcome.SENT)

    backend.send = slow_send  # type: ignore[method-assign]
    messages = [SmsMessage(key=str(i), to="+33612345678", body="x") for i in range(3)]
    with call_deadline(time.monotonic() + 0.5):  # the second starts at 0.3 s, the third would at 0.6 s
        results = backend.send_batch(messages)
    assert started == ["0", "1"]
    assert [(r.outcome, r.error_code) for r in results] == [(Outcome.SENT, "")] * 2 + [(Outcome.TRANSIENT, "deadline")]
    assert not past_deadline()
    with call_deadline(time.monotonic() - 1):  # a claim that took longer than its window sends nothing
        assert [r.error_code for r in backend.send_batch(messages)] == ["deadline"] * 3


def test_the_web_push_topic_is_what_rfc_8030_allows() -> None:
    assert web_push_topic("alert-42") == "alert-42"
    assert web_push_topic("broadcast:7/x" + "y" * 40) == "broadcast_7_x" + "y" * 19  # 32 characters


@pytest.mark.parametrize(("lease", "timeout"), [(3, 10), (30, 10), (30, 2), (120, 10)])
def test_an_sms_claim_outlives_every_request_its_call_may_start(settings, lease: int, timeout: int) -> None:
    settings.NOTIFICATIONS_LEASE_SECONDS, settings.TWILIO_TIMEOUT_SECONDS = lease, timeout
    held = sender.sms_lease_seconds()
    window = sender.sms_start_deadline(held, time.monotonic()) - time.monotonic()
    assert window >= sender.SMS_CALL_WINDOW - 0.1  # a call always has time to send something
    assert held - window >= 2 * timeout + sender.LEASE_MARGIN_SECONDS - 0.1  # the last request ends before the lease


def test_a_replaced_alert_a_dead_worker_held_is_not_sent_after_its_follow_up(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    original = message(saint_paul.commune)
    planner.plan(original.pk)
    ids = list(Delivery.objects.filter(message=original, channel="push").values_list("pk", flat=True))
    claims.claim(ids, "push")  # in a provider call when the worker dies...
    message(saint_paul.commune, kind="followup", replaces=original, source_type="", source_id=None)  # ...then replaced
    with time_machine.travel(timezone.now() + LEASE + timedelta(seconds=1)):
        sweeper.sweep()
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", "error_code")) == {
        (DeliveryStatus.CANCELLED, "superseded")
    }
    assert push.sent == []


def test_a_delivery_held_by_quiet_hours_is_not_given_up_on_its_first_refusal(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    push.script = lambda m: SendResult(key=m.key, outcome=Outcome.TRANSIENT, error_code="503")
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    rows = Delivery.objects.filter(message=msg, channel="push")
    rows.update(not_before=timezone.now() + timedelta(hours=9))  # planned at 22:00, held until 7:00
    with time_machine.travel(timezone.now() + timedelta(hours=9, seconds=1)):
        sender.send_push(list(rows.values_list("pk", flat=True)))
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.PENDING}  # retried, not expired


def test_rows_published_a_moment_ago_are_not_taken_for_lost(saint_paul: Town, transports, monkeypatch) -> None:
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    Delivery.objects.filter(message=msg).update(dispatched_at=timezone.now())
    monkeypatch.setattr(broker, "queue_is_empty", lambda name: True)  # a running task took the last message
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert sweeper.sweep()["published"] == 0


def test_two_checks_of_one_row_never_both_decide_it(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    checking(row)
    _, rows = reconcile._claim([row.pk])  # a first check holds it (asking Twilio)...
    assert [r.pk for r in rows] == [row.pk]
    assert reconcile.check_sms([row.pk]) == {}  # ...a second one gets nothing to decide
    assert sms.lookups == [] and sms.sent == []


def test_an_sms_found_under_another_deliverys_sid_is_not_taken_for_this_one(saint_paul: Town, transports) -> None:
    _, sms = transports
    row = sms_row(saint_paul)
    other = Delivery.objects.filter(message=row.message, channel="sms").exclude(pk=row.pk).first()
    assert other is not None
    Delivery.objects.filter(pk=other.pk).update(provider_id="SM-same-text")
    checking(row)
    sms.found[row.key] = "SM-same-text"  # the same number and text, but another message's SMS
    assert reconcile.check_sms([row.pk]) == {"resend": 1}
    assert [m.to for m in sms.sent] == [str(row.user.phone)]
