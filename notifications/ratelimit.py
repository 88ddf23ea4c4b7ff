"""The global SMS rate: SMS_MAX_PER_SECOND for every worker on every machine together.

A moving window in Redis (the `limits` library) when REDIS_URL is set; in-process otherwise (the
embedded default runs everything in one process anyway).
"""

import time
from functools import cache

from django.conf import settings
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

_KEY = "vigilants-sms"


@cache
def _limiter(url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(url or "memory://"))


def reset() -> None:
    """Forget the in-process window (each test starts with none; Redis's is flushed with the cache)."""
    _limiter.cache_clear()


def _item() -> RateLimitItemPerSecond:
    return RateLimitItemPerSecond(settings.SMS_MAX_PER_SECOND)


def largest_burst() -> int:
    """How many SMS one acquire() may ask for (a moving window never grants more than its limit)."""
    return max(1, settings.SMS_MAX_PER_SECOND)


def try_acquire(count: int) -> bool:
    return _limiter(settings.REDIS_URL).hit(_item(), _KEY, cost=count)


def acquire(count: int, timeout: float = 120.0) -> bool:
    """Wait until `count` SMS may go (True), or give up after `timeout` seconds (False)."""
    count = min(count, largest_burst())
    deadline = time.monotonic() + timeout
    while not try_acquire(count):
        if time.monotonic() >= deadline:
            return False
        stats = _limiter(settings.REDIS_URL).get_window_stats(_item(), _KEY)
        time.sleep(min(max(stats.reset_time - time.time(), 0.01), 0.25))
    return True
