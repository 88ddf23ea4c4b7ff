"""The fan-out end to end under faults: real workers, Redis, PostgreSQL, the SDKs against the fake provider.

Exactly once, as the provider counts it: every member's phone gets the push once and every SMS-chooser
the SMS once, even when a worker is SIGKILLed mid-fan-out, the provider answers 429/500 for a while, or
the queued tasks are lost (standing in for a Redis restart: the tests share the machine's Redis, so the
queue is flushed rather than the server restarted, and the sweeper must find the work again).

A send in flight when its worker dies is the one case that cannot be exactly once without the
provider's help: it may or may not have left. It is marked `unknown`, never resent; the assertions
below allow exactly that and nothing else: per killed pool process, the pushes in flight or waiting for
a thread (fcm_fast.AHEAD) and the one claim taken behind them (sender.PUSH_CLAIM), or one SMS call; rows
not yet claimed are sent once, later.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction

from accounts.models import User
from communes.models import Membership
from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, write_service_account
from notifications import sender, sweeper
from notifications.models import Delivery, DeliveryStatus, Device, Message
from notifications.services import message_enqueue, message_report
from notifications.transports.fcm_fast import AHEAD, POOL_SIZE
from tests.factories import CommuneFactory

from .conftest import start_worker, stop, wait_for_worker, wait_until

pytestmark = pytest.mark.integration

LEASE_SECONDS = 3
FINAL = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN,
         DeliveryStatus.CANCELLED]  # fmt: skip


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeProvider]:
    provider = FakeProvider(port=0)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def provider_env(fake: FakeProvider, tmp_path: Path, live_server: object, settings: object,
                 monkeypatch: pytest.MonkeyPatch) -> FakeProvider:  # fmt: skip
    """Workers (started after this) use the real Twilio and FCM backends against the fake; Twilio's
    status callbacks come back to this process's live server, signed with the fake's auth token."""
    account = write_service_account(tmp_path / "service-account.json", fake.url)
    env = {
        "SMS_BACKEND": "twilio", "PUSH_BACKEND": "fcm", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": "+33700000001", "TWILIO_API_BASE_URL": fake.url,
        "FIREBASE_CREDENTIALS": str(account), "FCM_API_BASE_URL": fake.url, "PUBLIC_BASE_URL": live_server.url,
        "SMS_MAX_PER_SECOND": "100", "NOTIFICATIONS_LEASE_SECONDS": str(LEASE_SECONDS), "LOG_LEVEL": "WARNING",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN  # the webhook checks signatures in this process
    settings.PUBLIC_BASE_URL = live_server.url
    settings.NOTIFICATIONS_REDISPATCH_SECONDS = 2  # a task not run after 2 s is presumed lost (tests only)
    settings.NOTIFICATIONS_UNPLANNED_GRACE_SECONDS = 1
    settings.NOTIFICATIONS_LEASE_SECONDS = LEASE_SECONDS
    return fake


@pytest.fixture
def worker(provider_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def seed(members: int, sms_every: int = 10) -> tuple[object, dict[int, str], dict[int, str]]:
    """`members` approved members, each with a device; one in `sms_every` also chose SMS."""
    commune = CommuneFactory(name="Vigie-sur-Test")
    users = User.objects.bulk_create(
        User(phone=f"+3361{i:07d}", preferences={"channels": ["push", "sms"] if i % sms_every == 0 else ["push"],
                                                 "categories": None, "quiet_hours": None})
        for i in range(members)
    )  # fmt: skip
    Membership.objects.bulk_create(Membership(user=u, commune=commune, status="approved", address="x") for u in users)
    Device.objects.bulk_create(Device(user=u, fcm_token=f"tok-{u.pk}-{'v' * 40}", platform="android") for u in users)
    tokens = {u.pk: f"tok-{u.pk}-{'v' * 40}" for u in users}
    phones = {u.pk: u.phone for i, u in enumerate(users) if i % sms_every == 0}
    return commune, tokens, phones


def enqueue(commune: object) -> Message:
    with transaction.atomic():
        return message_enqueue(commune=commune, kind="broadcast", title="Alerte", body="Restez vigilants.",
                               urgent=True, source_type="broadcast", source_id=1)  # fmt: skip


def planned(message: Message) -> bool:
    return Message.objects.get(pk=message.pk).status == "planned"


def all_final(message: Message) -> bool:
    return not Delivery.objects.filter(message=message).exclude(status__in=FINAL).exists()


def sweep_until_final(message: Message, timeout: float) -> None:
    def done() -> bool:
        sweeper.sweep()
        return planned(message) and all_final(message)

    wait_until(done, timeout=timeout, interval=1.0)


def assert_exactly_once(fake: FakeProvider, message: Message, tokens: dict[int, str], phones: dict[int, str],
                        unknown_allowed: bool = False) -> None:  # fmt: skip
    pushes = Counter(p["token"] for p in fake.pushes())
    texts = Counter(s["To"] for s in fake.sms())
    assert max(pushes.values(), default=1) == 1 and max(texts.values(), default=1) == 1, "a member got one twice"
    rows = Delivery.objects.filter(message=message)
    statuses = Counter(rows.values_list("status", flat=True))
    unknown = set(rows.filter(status=DeliveryStatus.UNKNOWN).values_list("user_id", "channel"))
    assert unknown_allowed or not unknown
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.UNKNOWN}, statuses
    missing_push = {u for u, t in tokens.items() if t not in pushes}
    missing_sms = {u for u, p in phones.items() if p not in texts}
    assert missing_push <= {u for u, c in unknown if c == "push"}
    assert missing_sms <= {u for u, c in unknown if c == "sms"}


def test_it_sends_every_member_exactly_one_push_and_sms(worker: subprocess.Popen, provider_env: FakeProvider) -> None:
    commune, tokens, phones = seed(600)
    message = enqueue(commune)
    wait_until(lambda: planned(message) and all_final(message), timeout=90)
    assert_exactly_once(provider_env, message, tokens, phones)
    assert len(provider_env.pushes()) == 600 and len(provider_env.sms()) == 60
    # Twilio's signed status callbacks came back through the webhook and moved every SMS to delivered.
    wait_until(lambda: message_report(message)["sms"]["delivered"] == 60, timeout=30)
    report = message_report(message)
    assert report["recipients"] == 600 and report["pending"] == 0
    assert report["push"] == {"sent": 600, "delivered": 0, "failed": 0, "unknown": 0}


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def sigkill(process: subprocess.Popen) -> None:
    """Kill the worker and its pool processes at once, as an OOM killer or a lost machine would."""
    for pid in [process.pid, *children(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def test_it_stays_exactly_once_when_a_worker_is_killed_mid_fan_out(
    worker: subprocess.Popen, provider_env: FakeProvider
) -> None:
    provider_env.configure(latency=0.3)  # slow the provider so the kill lands mid-fan-out
    commune, tokens, phones = seed(2000)
    message = enqueue(commune)
    wait_until(lambda: 0 < len(provider_env.pushes()) < 1500, timeout=60, interval=0.02)
    sigkill(worker)
    sent_before = len(provider_env.pushes())
    provider_env.configure(latency=0.0)
    replacement = start_worker()
    try:
        wait_for_worker(time.monotonic() + 60)
        sweep_until_final(message, timeout=120)
    finally:
        stop(replacement)
    assert sent_before < 2000
    # Maybe sent when the worker died, per pool process (2): the pushes in flight or queued and the claim
    # taken behind them (not a whole call of 500), or one SMS call.
    unknown = Counter(Delivery.objects.filter(message=message, status=DeliveryStatus.UNKNOWN)
                      .values_list("channel", flat=True))  # fmt: skip
    assert unknown["push"] <= 2 * (sender.PUSH_CLAIM + AHEAD) and unknown["sms"] <= 2 * sender.SMS_CALL
    missing = {u for u, t in tokens.items() if t not in {p["token"] for p in provider_env.pushes()}}
    assert len(missing) <= 2 * (sender.PUSH_CLAIM + AHEAD - POOL_SIZE)  # in flight: at the provider already
    assert_exactly_once(provider_env, message, tokens, phones, unknown_allowed=True)


def test_it_delivers_everything_once_through_a_provider_outage(
    worker: subprocess.Popen, provider_env: FakeProvider
) -> None:
    commune, tokens, phones = seed(400)
    # The fake records every request, refused ones included: with a known number of refusals, "every
    # member exactly once" is "every member at least once, and refusals + members requests in all".
    provider_env.fail(500, service="fcm", count=300)
    provider_env.fail(429, service="twilio", count=25, retry_after=1)
    message = enqueue(commune)
    wait_until(lambda: planned(message) and all_final(message), timeout=120, interval=0.5)
    pushes, texts = Counter(p["token"] for p in provider_env.pushes()), Counter(s["To"] for s in provider_env.sms())
    assert set(pushes) == set(tokens.values()) and sum(pushes.values()) == 400 + 300
    assert set(texts) == set(phones.values()) and sum(texts.values()) == 40 + 25
    statuses = set(Delivery.objects.filter(message=message).values_list("status", flat=True))
    assert statuses <= {DeliveryStatus.SENT, DeliveryStatus.DELIVERED}
    assert Delivery.objects.filter(message=message, attempts__gt=1).exists()  # the outage was retried


def test_it_finds_lost_tasks_again_with_the_sweeper(worker: subprocess.Popen, provider_env: FakeProvider) -> None:
    """Stands in for Redis restarting and losing its queues: no worker, the queued jobs are flushed."""
    import redis
    from django.conf import settings

    stop(worker)
    commune, tokens, phones = seed(300)
    message = enqueue(commune)  # published to Redis, never consumed...
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # ...and lost
    replacement = start_worker()
    try:
        wait_for_worker(time.monotonic() + 60)
        time.sleep(1.5)
        assert Delivery.objects.filter(message=message).count() == 0
        sweep_until_final(message, timeout=90)
    finally:
        stop(replacement)
    assert_exactly_once(provider_env, message, tokens, phones)
    assert len(provider_env.pushes()) == 300
