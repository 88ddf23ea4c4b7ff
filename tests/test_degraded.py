"""Degraded mode: Redis (cache and broker) stopped, frozen or restarted, and the API keeps serving.

Each test runs its own redis-server (tests/throwaway_redis.py) as the cache and the broker, with tasks
published to it for real (not in-process), and takes that server away: never the machine's Redis.
"""

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import Town, client_for
from notifications import broker, sweeper
from notifications.models import Message, MessageSource, MessageStatus
from notifications.services import message_for_source
from providers.models import ConsoleMessage
from vigilants.celery import app as celery_app
from vigilants.health import forget_broker_answer

from .throwaway_redis import ThrowawayRedis, needs_redis_server, throwaway_redis

pytestmark = [needs_redis_server, pytest.mark.django_db]

# What any request may take because Redis is down: each Redis call gives up after 0.3 s and the breaker then
# skips Redis; a request that hung would take the system's connect timeout (minutes). Generous against load.
MAX_SECONDS = 4.0
NEW_PHONE = "+33698765432"
REPORT = {"commune": "06128", "category": "vehicule_suspect", "description": "Camionnette blanche qui tourne"}
BROADCAST = {"title": "Démarcheurs", "body": "De faux agents des eaux passent ce matin."}


@pytest.fixture
def redis_server(settings: Any) -> Iterator[ThrowawayRedis]:
    """The cache, the throttles and the broker on a redis-server of this test's own; tasks really published."""
    conf = celery_app.conf
    # Read before the settings change: Celery's configuration reads Django's settings.
    before = conf.broker_url, conf.task_always_eager
    with throwaway_redis() as server:
        settings.REDIS_URL = settings.CELERY_BROKER_URL = server.url
        # No OPTIONS: the backend's own short timeouts are the ones under test.
        settings.CACHES = {"default": {"BACKEND": "vigilants.cache.FallbackRedisCache", "LOCATION": server.url}}
        # Settings.broker_url is a read-only property; Celery's attribute assignment is this item assignment.
        conf["broker_url"], conf.task_always_eager = server.url, False
        _forget_outages()
        try:
            yield server
        finally:
            conf["broker_url"], conf.task_always_eager = before
            _forget_outages()


def _forget_outages() -> None:
    broker.BROKER_BREAKER.reset()
    forget_broker_answer()


@pytest.fixture
def answered(django_capture_on_commit_callbacks: Callable) -> Callable[..., Any]:
    """Make a request, run what it left for after commit (publishing), check it was 2xx and quick."""

    def call(client: APIClient, method: str, path: str, body: dict | None = None, limit: float = MAX_SECONDS) -> Any:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)
        took = time.monotonic() - started
        assert 200 <= response.status_code < 300, (method, path, response.status_code, response.content[:300])
        assert took < limit, f"{method.upper()} {path} took {took:.2f} s"
        return response

    return call


def sign_in(answered: Callable[..., Any], phone: str) -> APIClient:
    client = APIClient()
    assert answered(client, "post", "/api/v1/auth/otp/request", {"phone": phone}).status_code == 202
    sms = ConsoleMessage.objects.filter(recipient=phone, channel="sms").latest("pk")
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)  # type: ignore[union-attr]
    token = answered(client, "post", "/api/v1/auth/otp/verify", {"phone": phone, "code": code}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def report_approve_broadcast(answered: Callable[..., Any], town: Town) -> tuple[int, int]:
    """A resident reports, the mayor approves it and broadcasts a warning; the alerts' ids."""
    resident, mayor = client_for(town.resident), client_for(town.mayor)
    alert = answered(resident, "post", "/api/v1/alerts", REPORT).json()["id"]
    assert answered(mayor, "post", f"/api/v1/alerts/{alert}/approve").json()["status"] == "approved"
    broadcast = answered(mayor, "post", "/api/v1/communes/06128/broadcasts", BROADCAST).json()["id"]
    return alert, broadcast


def throttles_in_redis(server: ThrowawayRedis) -> list[bytes | str]:
    return server.client().keys("*throttle*")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


def test_the_api_serves_every_role_while_redis_is_stopped_and_uses_redis_again_once_back(
    redis_server: ThrowawayRedis, saint_paul: Town, answered: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    # Up: the throttles count in Redis, the tasks are published to it.
    sign_in(answered, "+33698765431")
    report_approve_broadcast(answered, saint_paul)
    assert throttles_in_redis(redis_server)
    assert redis_server.client().llen("default") == 2  # the two plans

    redis_server.stop()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        me = sign_in(answered, NEW_PHONE)
        assert answered(me, "get", "/api/v1/me").json()["phone"] == NEW_PHONE
        alert, broadcast = report_approve_broadcast(answered, saint_paul)
        listed = answered(client_for(saint_paul.resident), "get", "/api/v1/alerts?commune=06128").json()
        assert {alert, broadcast} <= {a["id"] for a in listed["results"]}
        # The outbox rows are the jobs: written, waiting for the sweeper.
        for alert_id in (alert, broadcast):
            assert message_for_source(MessageSource.ALERT, alert_id).status == MessageStatus.QUEUED  # type: ignore[union-attr]
        health = APIClient().get("/healthz")
        assert health.status_code == 503
        assert health.json()["checks"]["broker"].startswith("error")
        assert health.json()["checks"]["cache"].startswith("error")
        assert health.json()["checks"]["database"] == "ok"
        delivery_report = answered(client_for(saint_paul.mayor), "get", f"/api/v1/alerts/{alert}/deliveries").json()
        assert delivery_report["delayed"] is True and delivery_report["delay_reason"] == "broker_unavailable"
    # One warning per outage for the cache and one for publishing, not one per request; no phone number.
    watched = ("vigilants.cache", "notifications.broker")
    warnings = [r.name for r in caplog.records if r.levelno >= logging.WARNING and r.name in watched]
    assert sorted(warnings) == ["notifications.broker", "vigilants.cache"], caplog.text
    assert NEW_PHONE not in caplog.text and NEW_PHONE[3:] not in caplog.text

    redis_server.start()  # the same port, empty
    assert APIClient().get("/healthz").status_code == 200

    def throttled_in_redis() -> bool:
        answered(client_for(saint_paul.resident), "get", "/api/v1/alerts")
        return bool(throttles_in_redis(redis_server))

    wait_until(throttled_in_redis, 8, "the throttles counted in Redis again")
    cache.set("probe", "back")
    assert redis_server.client().exists(cache.make_key("probe"))
    # What the broker did not take, the sweeper publishes (once the grace left to after-commit tasks is over).
    Message.objects.filter(status=MessageStatus.QUEUED).update(created_at=timezone.now() - timedelta(minutes=2))

    def plans_published() -> bool:
        sweeper.sweep()
        return redis_server.client().llen("default") >= 2

    wait_until(plans_published, 8, "the sweeper published the plans the broker missed")


def test_requests_stay_quick_while_redis_accepts_connections_but_never_answers(
    redis_server: ThrowawayRedis, saint_paul: Town, answered: Callable[..., Any]
) -> None:
    report_approve_broadcast(answered, saint_paul)  # connections to Redis are open and pooled
    redis_server.freeze()
    try:
        sign_in(answered, NEW_PHONE)
        alert, _ = report_approve_broadcast(answered, saint_paul)
        answered(client_for(saint_paul.resident), "get", "/api/v1/alerts")
        health_started = time.monotonic()
        health = APIClient().get("/healthz")
        # Two checks of 1 s at most; a hang would take minutes: the bound is generous against a loaded machine.
        assert health.status_code == 503 and time.monotonic() - health_started < 6
        assert {"broker", "cache"} <= {name for name, result in health.json()["checks"].items() if result.startswith("error")}
        report = answered(client_for(saint_paul.mayor), "get", f"/api/v1/alerts/{alert}/deliveries").json()
        assert report["delay_reason"] == "broker_unavailable"
    finally:
        redis_server.thaw()
