"""The fan-out end to end under faults: real workers, Redis, PostgreSQL, the SDKs against the fake provider.

Shown exactly once, as the phones would show it: every member's phone shows the push once (a copy sent
again under the same tag replaces it) and every SMS-chooser gets the SMS once, even when a worker is
SIGKILLed mid-fan-out, the provider answers 429/500 for a while, or the queued tasks are lost (standing in
for a Redis restart: these tests share the machine's Redis, so the queue is flushed rather than the server
restarted; tests/faults restarts throwaway servers). Nothing is left `unknown`: pushes a dead worker had
claimed are sent again, its SMS checked against Twilio's record first.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from fakeprovider import FakeProvider
from notifications.models import Delivery, DeliveryStatus
from notifications.services import message_report

from .conftest import start_worker, stop, wait_for_worker, wait_until
from .fanout import all_final, assert_shown_once, enqueue, planned, seed, sweep_until_final

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(provider_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def test_it_sends_every_member_exactly_one_push_and_sms(worker: subprocess.Popen, provider_env: FakeProvider) -> None:
    commune, tokens, phones = seed(600)
    message = enqueue(commune)
    wait_until(lambda: planned(message) and all_final(message), timeout=90)
    assert_shown_once(provider_env, message, tokens, phones)
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
    # The dead worker's claims were decided, not abandoned: its pushes sent again (replacing any copy shown),
    # its SMS checked with Twilio before any resend.
    assert_shown_once(provider_env, message, tokens, phones)
    assert Delivery.objects.filter(message=message, attempts__gt=1).exists()


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
    assert_shown_once(provider_env, message, tokens, phones)
    assert len(provider_env.pushes()) == 300
