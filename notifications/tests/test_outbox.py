"""The outbox: enqueue in the caller's transaction, plan after commit, sweep what never ran, report."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from conftest import Town
from notifications import claims, planner, sender, sweeper
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind, MessageSource, MessageStatus
from notifications.services import message_enqueue, message_for_source, message_report
from providers.models import ConsoleMessage

from .helpers import member, message
from .recording import transports_fixture  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("transports")


def enqueue(town: Town, **fields: object) -> Message:
    values: dict[str, Any] = {"kind": MessageKind.ALERT, "title": "Cambriolage", "body": "Maison visitée.",
                              "category": "cambriolage", "source_type": MessageSource.ALERT, "source_id": 7,
                              **fields}  # fmt: skip
    with transaction.atomic():
        return message_enqueue(commune=town.commune, **values)


def test_it_fans_out_once_the_transaction_commits(saint_paul: Town, transports, django_capture_on_commit_callbacks) -> None:
    push, sms = transports
    users = [member(saint_paul.commune) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        msg = enqueue(saint_paul, exclude_user_id=saint_paul.resident.pk)
    msg.refresh_from_db()
    assert msg.status == MessageStatus.PLANNED
    assert sorted(m.token for m in push.sent) == sorted(u.devices.get().fcm_token for u in users)
    # The personas chose push and SMS but have no device: SMS, the reporter excepted.
    assert len(sms.sent) == 3


def test_it_writes_nothing_to_the_broker_when_the_caller_rolls_back(
    saint_paul: Town, transports, django_capture_on_commit_callbacks
) -> None:
    member(saint_paul.commune)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                message_enqueue(commune=saint_paul.commune, kind=MessageKind.BROADCAST, title="t", body="b")
                raise RuntimeError("the approval failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not Message.objects.exists()


def test_it_accepts_the_message_when_the_broker_is_down_and_the_sweeper_sends_it(
    saint_paul: Town, transports, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    push, _ = transports
    member(saint_paul.commune)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as down:
        down.setattr(planner.plan_message, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            msg = enqueue(saint_paul)  # no exception reaches the caller
    msg.refresh_from_db()
    assert msg.status == MessageStatus.QUEUED and push.calls == []
    sweeper.sweep()  # too soon: the after-commit task may still be on its way
    assert Message.objects.get(pk=msg.pk).status == MessageStatus.QUEUED
    with time_machine.travel(timezone.now() + timedelta(minutes=1)), django_capture_on_commit_callbacks(execute=True):
        assert sweeper.sweep()["plans"] == 1
    assert Message.objects.get(pk=msg.pk).status == MessageStatus.PLANNED
    assert len(push.sent) == 1


def test_it_plans_again_when_the_planner_died(saint_paul: Town, transports, django_capture_on_commit_callbacks) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    assert planner.claim_planning(msg.pk)  # a worker took the job, then died
    with time_machine.travel(timezone.now() + timedelta(minutes=5)), django_capture_on_commit_callbacks(execute=True):
        sweeper.sweep()
    assert Message.objects.get(pk=msg.pk).status == MessageStatus.PLANNED
    assert len(push.sent) == 1


def test_it_sends_the_pushes_of_a_dead_worker_again_once_their_lease_ran_out(saint_paul: Town, transports) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    ids = list(Delivery.objects.filter(message=msg, channel="push").values_list("pk", flat=True))
    claims.claim(ids, "push")  # the worker dies during the provider call
    assert sweeper.sweep()["pushes_resumed"] == 0  # its lease still runs: it may be alive
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS + 1)):
        assert sweeper.sweep()["pushes_resumed"] == 1
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(push.sent) == 1 and push.sent[0].collapse_key  # the tag a copy already shown would share


def test_it_checks_the_sms_of_a_dead_worker_with_the_provider_before_any_resend(saint_paul: Town, transports) -> None:
    _, sms = transports
    texter = member(saint_paul.commune, channels=["sms"], device=False)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    ids = list(Delivery.objects.filter(message=msg, user=texter, channel="sms").values_list("pk", flat=True))
    claims.claim(ids, "sms")
    expired = timezone.now() + timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS + 1)
    with time_machine.travel(expired):
        report = sweeper.sweep()
    assert (report["sms_to_check"], report["checks"]) == (1, 1)
    assert len(sms.lookups) == 1 and len(sms.sent) == 1  # asked first; Twilio never took it: sent once


def test_it_sends_what_a_dead_worker_had_not_claimed_yet(
    saint_paul: Town, transports, django_capture_on_commit_callbacks
) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)  # its send task was published, then lost with the worker that took it
    with time_machine.travel(timezone.now() + timedelta(hours=1)), django_capture_on_commit_callbacks(execute=True):
        assert sweeper.sweep()["published"] == 2  # push and SMS batches, published again
    assert len(push.sent) == 1


def test_it_publishes_held_deliveries_when_quiet_hours_end(
    saint_paul: Town, transports, django_capture_on_commit_callbacks
) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)
    planner.plan(msg.pk)
    later = timezone.now() + timedelta(hours=2)
    Delivery.objects.filter(message=msg).update(not_before=later, dispatched_at=None)
    assert sweeper.sweep()["published"] == 0
    with time_machine.travel(later + timedelta(seconds=1)), django_capture_on_commit_callbacks(execute=True):
        assert sweeper.sweep()["published"] == 2  # one push task, one SMS task
    assert len(push.sent) == 1


def test_it_cancels_what_has_not_gone_when_a_follow_up_replaces_it(
    saint_paul: Town, transports, django_capture_on_commit_callbacks
) -> None:
    member(saint_paul.commune)
    sleeper = member(saint_paul.commune)
    original = message(saint_paul.commune)
    planner.plan(original.pk)
    # The sleeper's quiet hours hold the original back: it has not gone when the follow-up comes.
    Delivery.objects.filter(message=original, user=sleeper).update(not_before=timezone.now() + timedelta(hours=3))
    awake_ids = list(Delivery.objects.filter(message=original, not_before__isnull=True).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=awake_ids).update(status=DeliveryStatus.SENT)
    with django_capture_on_commit_callbacks(execute=True):
        followup = enqueue(saint_paul, kind=MessageKind.FOLLOWUP, title="Fin d'alerte", body="Fausse alerte.", replaces=original)
    held = Delivery.objects.get(message=original, user=sleeper)
    assert held.status == DeliveryStatus.CANCELLED
    assert set(Delivery.objects.filter(pk__in=awake_ids).values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert Delivery.objects.filter(message=followup).exists()


def test_it_cancels_the_planning_of_a_message_replaced_before_it_ran(saint_paul: Town, transports) -> None:
    original = message(saint_paul.commune)
    with transaction.atomic():
        message_enqueue(commune=saint_paul.commune, kind=MessageKind.FOLLOWUP, title="Erratum", body="b", replaces=original)
    assert Message.objects.get(pk=original.pk).status == MessageStatus.CANCELLED
    assert planner.plan(original.pk) == 0
    assert not Delivery.objects.filter(message=original).exists()


def test_it_reports_deliveries_by_channel_and_status(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNED)
    people = [saint_paul.mayor, saint_paul.referent, saint_paul.resident, saint_paul.resident2]
    statuses = ["sent", "delivered", "failed", "pending"]
    for user, status in zip(people, statuses, strict=True):
        Delivery.objects.create(message=msg, user=user, channel="sms", status=status)
        Delivery.objects.create(message=msg, user=user, channel="push", status="sent")
    assert message_report(msg) == {
        "recipients": 4,
        "push": {"sent": 4, "delivered": 0, "failed": 0, "unknown": 0},
        "sms": {"sent": 2, "delivered": 1, "failed": 1, "unknown": 0},
        "voice": {"sent": 0, "answered": 0, "confirmed": 0, "busy": 0, "no_answer": 0, "failed": 0, "pending": 0,
                  "minutes": 0},
        "pending": 1,
        "delayed": False,  # pending for less than a minute, never refused, the broker answering
        "delay_reason": None,
    }


def test_it_finds_the_message_of_a_source(saint_paul: Town) -> None:
    original = message(saint_paul.commune, source_id=99)
    message(saint_paul.commune, source_id=99, kind="followup", replaces=original)
    assert message_for_source(MessageSource.ALERT, 99) == original
    assert message_for_source(MessageSource.ALERT, 100) is None


def test_it_purges_deliveries_and_console_messages_after_the_retention(saint_paul: Town) -> None:
    msg, fresh = message(saint_paul.commune), message(saint_paul.commune)
    Message.objects.filter(pk=msg.pk).update(created_at=timezone.now() - timedelta(days=92))
    old = Delivery.objects.create(message=msg, user=saint_paul.mayor, channel="sms", status="sent")
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    late = Delivery.objects.create(message=msg, user=saint_paul.resident, channel="sms", status="sent")  # a fallback
    recent = Delivery.objects.create(message=fresh, user=saint_paul.resident, channel="sms", status="sent")
    ConsoleMessage.objects.create(channel="sms", recipient="+33600000000", body="x")
    ConsoleMessage.objects.update(created_at=timezone.now() - timedelta(days=91))
    assert sweeper.purge_old_deliveries() == 2
    assert sorted(Delivery.objects.values_list("pk", flat=True)) == [late.pk, recent.pk]


def test_it_leaves_sends_the_broker_refused_to_the_next_sweep(
    saint_paul: Town, transports, django_capture_on_commit_callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    push, _ = transports
    member(saint_paul.commune)
    msg = message(saint_paul.commune)

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Connection refused.")

    with monkeypatch.context() as down, django_capture_on_commit_callbacks(execute=True):
        down.setattr(sender.send_push_task, "apply_async", broker_down)
        down.setattr(sender.send_sms_task, "apply_async", broker_down)
        planner.plan(msg.pk)
    assert set(Delivery.objects.filter(message=msg).values_list("dispatched_at", flat=True)) == {None}
    assert push.calls == []
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeper.sweep()["published"] == 2  # at once, not after the lost-task timeout
    assert len(push.sent) == 1


def test_a_message_still_being_planned_is_reported_pending_even_before_its_first_delivery(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNING)
    Delivery.objects.create(message=msg, user=saint_paul.mayor, channel="push", status="sent")
    report = message_report(msg)
    assert (report["recipients"], report["push"]["sent"], report["pending"]) == (1, 1, 1)  # more are coming
    Message.objects.filter(pk=msg.pk).update(status=MessageStatus.PLANNED)
    assert message_report(msg)["pending"] == 0
