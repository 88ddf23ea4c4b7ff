"""The global SMS rate: shared through Redis by every worker, in-process without REDIS_URL."""

import threading
import time

import pytest
import redis
from django.conf import settings as django_settings

from fakeprovider.server import most_in_one_second
from providers import ratelimit


@pytest.fixture
def in_process(settings: object) -> None:
    settings.REDIS_URL = ""  # type: ignore[attr-defined]
    settings.SMS_MAX_PER_SECOND = 5  # type: ignore[attr-defined]
    ratelimit.reset()


def test_it_grants_the_rate_and_no_more_while_it_is_held(in_process: None) -> None:
    hold = ratelimit.acquire(5, timeout=0)
    assert hold is not None
    assert ratelimit.acquire(1, timeout=0) is None


def test_a_call_holds_its_share_until_a_second_after_it_ends(in_process: None) -> None:
    with ratelimit.held(5):
        time.sleep(0.3)  # a slow call: its SMS may reach the provider until it ends
        assert ratelimit.acquire(1, timeout=0) is None
    ended = time.monotonic()
    assert ratelimit.acquire(5, timeout=10) is not None  # granted, once the hold stops counting
    assert time.monotonic() - ended > 0.9


def test_a_smaller_call_gives_the_rest_back_at_once(in_process: None) -> None:
    hold = ratelimit.acquire(5, timeout=0)
    assert hold is not None
    hold.shrink(2)  # three of the rows were taken by another worker
    assert ratelimit.acquire(3, timeout=0) is not None
    assert ratelimit.acquire(1, timeout=0) is None


def test_a_hold_never_ended_lapses_after_its_lease(in_process: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "HOLD_LEASE_SECONDS", 0.2)
    assert ratelimit.acquire(5, timeout=0) is not None  # its worker was killed inside the call
    started = time.monotonic()
    assert ratelimit.acquire(5, timeout=10) is not None  # granted: the lapsed hold no longer counts
    assert time.monotonic() - started > 1.0  # not before its lease (and the second after it) ran out


def test_it_never_asks_for_more_than_the_rate_at_once(in_process: None) -> None:
    assert ratelimit.largest_burst() == 5
    hold = ratelimit.acquire(50)  # capped: the window never holds more than its limit
    assert hold is not None and hold.count == 5


def test_most_in_one_second_slides() -> None:
    assert most_in_one_second([0.1, 0.9, 1.05, 1.2, 2.3]) == 3
    assert most_in_one_second([0.0, 1.0, 2.0]) == 1


@pytest.mark.integration  # needs Redis: left out (never skipped) only when make test finds none outside CI
def test_workers_sharing_redis_never_put_more_than_the_rate_into_any_second(settings: object) -> None:
    settings.SMS_MAX_PER_SECOND = 10  # type: ignore[attr-defined]
    redis.Redis.from_url(django_settings.REDIS_URL).delete(*ratelimit._KEYS)
    ratelimit.reset()
    arrivals: list[float] = []

    def worker(pace: float) -> None:
        # Each thread stands for a worker process; they meet only in Redis. A call's SMS leave one after
        # another at the worker's pace: slow and fast calls alternate in the shared window.
        for _ in range(4):
            with ratelimit.held(5):
                for _ in range(5):
                    time.sleep(pace)
                    arrivals.append(time.time())

    threads = [threading.Thread(target=worker, args=(pace,)) for pace in (0.0, 0.15, 0.0, 0.08)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(arrivals) == 80  # every call was granted in time: none starved
    assert most_in_one_second(arrivals) <= 10
