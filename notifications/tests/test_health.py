"""A stuck or failing provider shows in /healthz without failing it; the broker and the cache fail it, each
named; the delivery report says whether sending is delayed, and why."""

import time
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import Town, client_for
from notifications import health
from notifications.models import Delivery, Message, MessageStatus
from notifications.services import message_report
from tests.throwaway_redis import free_port, silent_server
from vigilants import health as vigilants_health

from .helpers import member, message


def test_it_reports_ok_when_nothing_waits(saint_paul: Town, anon: APIClient) -> None:
    assert anon.get("/healthz").json()["checks"]["notifications"] == "ok"


def test_it_reports_deliveries_stuck_for_five_minutes_but_stays_200(saint_paul: Town, anon: APIClient) -> None:
    msg = message(saint_paul.commune)
    stuck = Delivery.objects.create(message=msg, user=saint_paul.resident, channel="push")
    Delivery.objects.create(message=msg, user=saint_paul.mayor, channel="push",
                            not_before=timezone.now() + timedelta(hours=6))  # fmt: skip  (quiet hours: not stuck)
    Delivery.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    Delivery.objects.filter(user=saint_paul.mayor).update(created_at=timezone.now() - timedelta(minutes=6))
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["notifications"] == "degraded: 1 deliveries waiting for more than 5 minutes"


def test_it_reports_a_provider_failing_most_sends(saint_paul: Town, anon: APIClient) -> None:
    msg = message(saint_paul.commune)
    for i in range(25):
        user = member(saint_paul.commune)
        Delivery.objects.create(message=msg, user=user, channel="sms", status="failed" if i < 20 else "sent")
    assert anon.get("/healthz").json()["checks"]["notifications"] == (
        "degraded: sms: 20/25 failed in the last 10 minutes"
    )


# --- /healthz: the broker and the cache, each named --------------------------------------------------------


def test_healthz_names_the_broker_alone_when_only_the_broker_is_down(saint_paul: Town, anon: APIClient, settings) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = anon.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"].startswith("error: ") and checks["cache"].startswith("ok")
    assert response.json()["status"] == "error"


def test_healthz_names_the_cache_alone_when_only_redis_is_down(saint_paul: Town, anon: APIClient, settings) -> None:
    settings.CELERY_BROKER_URL = "memory://localhost/"  # e.g. RabbitMQ answering while Redis is down
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = anon.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"].startswith("error: ") and checks["broker"] == "ok (in-process tasks)"


def test_healthz_answers_quickly_when_the_broker_and_cache_never_answer(saint_paul: Town, anon: APIClient, settings) -> None:
    with silent_server() as port:
        settings.CELERY_BROKER_URL = settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
        started = time.monotonic()
        response = anon.get("/healthz")
    # Two checks give up after 1 s each; a hang would be the system's connect timeout (minutes). Generous, so
    # that a loaded machine cannot fail it.
    assert response.status_code == 503 and time.monotonic() - started < 6
    assert response.json()["checks"]["broker"] == response.json()["checks"]["cache"] == "error: TimeoutError"


def test_the_broker_check_is_remembered_for_a_few_seconds(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    pings: list[str] = []

    def refused(url: str) -> None:
        pings.append(url)
        raise ConnectionError("refused")

    monkeypatch.setattr(vigilants_health, "_ping", refused)
    vigilants_health.forget_broker_answer()
    assert vigilants_health.broker_answers() is False
    assert vigilants_health.broker_answers() is False
    assert len(pings) == 1
    settings.CELERY_BROKER_URL = "memory://localhost/"  # another broker: the answer about the first one is moot
    assert vigilants_health.broker_answers() is True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    vigilants_health.forget_broker_answer()
    monkeypatch.setattr(vigilants_health, "_ping", lambda url: None)
    assert vigilants_health.broker_answers() is True
    vigilants_health.forget_broker_answer()


# --- Why sending is delayed: the delivery report's `delayed` and `delay_reason` -----------------------------


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "broker_answers", lambda: False)


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def test_a_report_with_nothing_late_is_not_delayed(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNED)
    Delivery.objects.create(message=msg, user=saint_paul.resident, channel="push")
    report = message_report(msg)
    assert (report["delayed"], report["delay_reason"]) == (False, None)


def test_the_broker_down_delays_what_is_still_to_send(saint_paul: Town, broker_down: None) -> None:
    queued = message(saint_paul.commune)
    report = message_report(queued)
    assert (report["delayed"], report["delay_reason"]) == (True, "broker_unavailable")


def test_the_broker_down_delays_nothing_once_everything_went(saint_paul: Town, broker_down: None) -> None:
    done = message(saint_paul.commune, status=MessageStatus.PLANNED)
    Delivery.objects.create(message=done, user=saint_paul.resident, channel="push", status="sent")
    assert message_report(done)["delayed"] is False


def test_deliveries_given_back_after_a_provider_refused_are_provider_retrying(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNED)
    Delivery.objects.create(message=msg, user=saint_paul.resident, channel="sms", attempts=1, error_code="20429",
                            not_before=timezone.now() + timedelta(seconds=20))  # fmt: skip
    report = message_report(msg)
    assert (report["delayed"], report["delay_reason"]) == (True, "provider_retrying")


def test_deliveries_due_for_more_than_a_minute_are_a_backlog(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNED)
    late = Delivery.objects.create(message=msg, user=saint_paul.resident, channel="push")
    assert message_report(msg)["delayed"] is False  # 0 s: on its way
    Delivery.objects.filter(pk=late.pk).update(created_at=ago(seconds=61))
    assert message_report(msg)["delay_reason"] == "backlog"


def test_a_message_not_planned_for_more_than_a_minute_is_a_backlog(saint_paul: Town) -> None:
    msg = message(saint_paul.commune)
    Message.objects.filter(pk=msg.pk).update(created_at=ago(seconds=90))
    assert message_report(msg)["delay_reason"] == "backlog"


def test_quiet_hours_are_not_a_delay(saint_paul: Town) -> None:
    msg = message(saint_paul.commune, status=MessageStatus.PLANNED)
    held = Delivery.objects.create(message=msg, user=saint_paul.resident, channel="push",
                                   not_before=timezone.now() + timedelta(hours=6))  # fmt: skip
    Delivery.objects.filter(pk=held.pk).update(created_at=ago(minutes=10))
    assert message_report(msg)["delayed"] is False


def test_the_deliveries_api_reports_the_delay(saint_paul: Town, broker_down: None) -> None:
    from alerts.models import Alert, AlertKind, AlertStatus

    alert = Alert.objects.create(commune=saint_paul.commune, category="vol", description="Vol de vélo",
                                 occurred_at=timezone.now(), status=AlertStatus.APPROVED, kind=AlertKind.REPORT,
                                 reporter=saint_paul.resident)  # fmt: skip
    message(saint_paul.commune, source_id=alert.pk)
    body = client_for(saint_paul.mayor).get(f"/api/v1/alerts/{alert.pk}/deliveries").json()
    assert body["delayed"] is True and body["delay_reason"] == "broker_unavailable"
    assert {"recipients", "push", "sms", "pending"} <= body.keys()
