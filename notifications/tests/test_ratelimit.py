"""The global SMS rate: shared through Redis by every worker, in-process without REDIS_URL."""

import threading
import time

import pytest
import redis
from django.conf import settings as django_settings

from notifications import ratelimit


@pytest.fixture
def in_process(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.SMS_MAX_PER_SECOND = 5  # type: ignore[attr-defined]
    ratelimit._limiter.cache_clear()


def test_it_grants_the_rate_and_no_more_within_a_second(in_process: None) -> None:
    assert ratelimit.try_acquire(5)
    assert not ratelimit.try_acquire(1)


def test_it_waits_for_the_window_to_move(in_process: None) -> None:
    assert ratelimit.acquire(5)
    started = time.monotonic()
    assert ratelimit.acquire(5)
    assert 0.5 < time.monotonic() - started < 2.0


def test_it_never_asks_for_more_than_the_rate_at_once(in_process: None) -> None:
    assert ratelimit.largest_burst() == 5
    assert ratelimit.acquire(50)  # capped at the burst: a moving window never grants more than its limit


@pytest.mark.integration  # needs Redis: left out (never skipped) only when make test finds none outside CI
def test_it_shares_the_rate_between_workers_through_redis(settings: object) -> None:
    settings.SMS_MAX_PER_SECOND = 10  # type: ignore[attr-defined]
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)
    ratelimit._limiter.cache_clear()
    granted: list[float] = []

    def worker() -> None:
        # Each thread stands for a worker process: they meet only in the Redis moving window.
        for _ in range(5):
            ratelimit.acquire(2)
            granted.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert len(granted) == 20  # 40 SMS at 10 a second, whoever asks
    assert 2.8 < elapsed < 6.0
