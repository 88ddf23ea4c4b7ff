"""A real Celery worker process, on Redis, reading the test database."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from pytest_django.fixtures import Settings as DjangoSettings
from pytest_django.live_server_helper import LiveServer

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, write_service_account
from vigilants.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3  # claims of the fan-out tests' workers: a dead worker's are found within seconds


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "DEBUG": "true"}


def wait_for_worker(deadline: float) -> None:
    while time.monotonic() < deadline:
        if celery_app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not answer in time")


def start_worker(concurrency: int = 2, queues: str = "default,push,sms,voice",
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "vigilants", "worker", "-Q", queues, "-c", str(concurrency),
         "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=ROOT, env=env or worker_env(),
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[subprocess.Popen]:
    """A worker in its own process; the tests commit, so it sees what they write."""
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("integration tests need PostgreSQL and REDIS_URL (make test sets them)")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    process = start_worker()
    try:
        wait_for_worker(time.monotonic() + 60)
        yield process
    finally:
        stop(process)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider(port=0)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def provider_env(fake: FakeProvider, tmp_path: Path, live_server: LiveServer, settings: DjangoSettings,
                 monkeypatch: pytest.MonkeyPatch) -> FakeProvider:  # fmt: skip
    """Workers (started after this) use the real Twilio and FCM backends against the fake; Twilio's
    status callbacks come back to this process's live server, signed with the fake's auth token."""
    account = write_service_account(tmp_path / "service-account.json", fake.url)
    env = {
        "SMS_BACKEND": "twilio", "PUSH_BACKEND": "fcm", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": "+33700000001", "TWILIO_API_BASE_URL": fake.url,
        "FIREBASE_CREDENTIALS": str(account), "FCM_API_BASE_URL": fake.url, "PUBLIC_BASE_URL": live_server.url,
        "SMS_MAX_PER_SECOND": "100", "NOTIFICATIONS_LEASE_SECONDS": str(LEASE_SECONDS), "LOG_LEVEL": "WARNING",
        "TWILIO_TIMEOUT_SECONDS": "2",  # with the call window and margin: SMS claims leased 12 s
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN  # the webhook checks signatures in this process
    settings.PUBLIC_BASE_URL = live_server.url
    settings.NOTIFICATIONS_REDISPATCH_SECONDS = 2  # a task not run after 2 s is presumed lost (tests only)
    settings.NOTIFICATIONS_UNPLANNED_GRACE_SECONDS = 1
    settings.NOTIFICATIONS_LEASE_SECONDS = LEASE_SECONDS
    return fake
