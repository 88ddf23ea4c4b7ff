"""The global SMS rate: at most SMS_MAX_PER_SECOND requests reach the provider in any one second, from
every worker on every machine together.

Counting grants is not enough: the SMS of one grant leave one after another during the call that follows,
so a call sent slowly followed by one sent quickly puts more than the limit into one second as the
provider sees it. So each provider call *holds* its share of the window from the moment it is granted
until one second after the call has ended. Whatever second the provider looks at, every request it
received in that second was still held at the second's end, and what is held never exceeds the limit.

A worker killed inside a call cannot end its hold: the hold lapses HOLD_LEASE_SECONDS after its grant
(a call of SMS_CALL messages takes well under that unless the provider hangs).

Not the `limits` library (which this module used before): its moving window counts each grant at the
moment it is given and cannot keep counting it until the call has ended.

With REDIS_URL: a sorted set of holds scored by when they stop counting, their sizes in a hash, one Lua
script per grant and per end, the time read from Redis itself (one clock for every machine). Without it
(the embedded default: one process) the same in memory.
"""

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import redis
from django.conf import settings

HOLD_LEASE_SECONDS = 30.0
# How long a send task waits for its share before leaving its SMS pending for the sweeper: a task blocked
# much longer would only hold a worker (and its broker message) while the window is full anyway.
ACQUIRE_TIMEOUT_SECONDS = 120.0
# One window per rate: "sms" (SMS_MAX_PER_SECOND) and "calls" (CALLS_PER_SECOND, voice calls placed).
RATES = ("sms", "calls")
_KEYS = ("vigilants-sms:holds", "vigilants-sms:sizes")  # the SMS window's (tests flush it)


def _keys(rate: str) -> tuple[str, str]:
    return (f"vigilants-{rate}:holds", f"vigilants-{rate}:sizes")

# KEYS: holds (zset: id -> when it stops counting), sizes (hash: id -> SMS). ARGV: id, count, limit, lease.
# Returns {1} when granted, else {0, seconds until the first hold stops counting}.
_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #dead > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(dead))
end
local used = 0
for _, n in ipairs(redis.call('HVALS', KEYS[2])) do used = used + tonumber(n) end
local count, lease = tonumber(ARGV[2]), tonumber(ARGV[4])
if used + count > tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tostring(tonumber(first[2] or now) - now)}
end
redis.call('ZADD', KEYS[1], string.format('%.6f', now + lease + 1), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], count)
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, math.ceil(lease) + 2) end
return {1}
"""

# ARGV: id, count, ended (1: the call is over, the hold counts one more second). count 0 drops the hold.
_SETTLE = """
if tonumber(ARGV[2]) == 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 0
end
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] == '1' then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[1], 'XX', string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000 + 1), ARGV[1])
end
return 1
"""


class _Window(Protocol):
    def grant(self, hold: str, count: int, limit: int) -> float | None:
        """None when granted, else how long until the first hold stops counting."""

    def settle(self, hold: str, count: int, ended: bool) -> None: ...


class _RedisWindow:
    def __init__(self, url: str, rate: str) -> None:
        self._keys = _keys(rate)
        # Bounded waits: a frozen Redis must fail a grant (the task is retried, a sign-in sends without the
        # window), never hang a web request or a worker.
        client = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=2.0)
        self._grant, self._settle = client.register_script(_GRANT), client.register_script(_SETTLE)

    def grant(self, hold: str, count: int, limit: int) -> float | None:
        answer = self._grant(keys=self._keys, args=[hold, count, limit, HOLD_LEASE_SECONDS])
        return None if answer[0] == 1 else float(answer[1])

    def settle(self, hold: str, count: int, ended: bool) -> None:
        self._settle(keys=self._keys, args=[hold, count, "1" if ended else "0"])


class _LocalWindow:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holds: dict[str, tuple[float, int]] = {}  # id -> (when it stops counting, SMS)

    def grant(self, hold: str, count: int, limit: int) -> float | None:
        now = time.monotonic()
        with self._lock:
            self._holds = {key: value for key, value in self._holds.items() if value[0] > now}
            if sum(size for _, size in self._holds.values()) + count > limit:
                return min(until for until, _ in self._holds.values()) - now
            self._holds[hold] = (now + HOLD_LEASE_SECONDS + 1, count)
        return None

    def settle(self, hold: str, count: int, ended: bool) -> None:
        with self._lock:
            if hold not in self._holds or not count:
                self._holds.pop(hold, None)
                return
            self._holds[hold] = (time.monotonic() + 1 if ended else self._holds[hold][0], count)


@cache
def _window(url: str, rate: str = "sms") -> _Window:
    return _RedisWindow(url, rate) if url else _LocalWindow()


def limit(rate: str) -> int:
    """Requests per second the rate allows."""
    return int(settings.CALLS_PER_SECOND if rate == "calls" else settings.SMS_MAX_PER_SECOND)


def reset() -> None:
    """Forget the in-process window (each test starts with none; Redis's is flushed with the cache)."""
    _window.cache_clear()


def largest_burst(rate: str = "sms") -> int:
    """How many requests one call may hold: never more than the whole second's allowance."""
    return max(1, limit(rate))


@dataclass
class Hold:
    """A granted share of the window, for one provider call."""

    id: str
    count: int
    rate: str = "sms"

    def shrink(self, count: int) -> None:
        """Fewer SMS will go than were asked for (taken by another worker, opted out): give the rest back."""
        if count < self.count:
            self.count = count
            _window(settings.REDIS_URL, self.rate).settle(self.id, count, ended=False)

    def end(self) -> None:
        _window(settings.REDIS_URL, self.rate).settle(self.id, self.count, ended=True)


def acquire(count: int, timeout: float | None = None, rate: str = "sms") -> Hold | None:
    """Wait until `count` SMS (or calls: `rate`, at most largest_burst()) may go; None after `timeout`
    (default ACQUIRE_TIMEOUT_SECONDS) seconds."""
    hold = Hold(uuid.uuid4().hex, min(count, largest_burst(rate)), rate)
    patience = ACQUIRE_TIMEOUT_SECONDS if timeout is None else timeout
    window, deadline = _window(settings.REDIS_URL, rate), time.monotonic() + patience
    while (wait := window.grant(hold.id, hold.count, limit(rate))) is not None:
        if time.monotonic() >= deadline:
            return None
        # Holds of calls still running say "in HOLD_LEASE_SECONDS": look again soon, they end sooner.
        time.sleep(min(max(wait, 0.005), 0.1))
    return hold


@contextmanager
def held(count: int, timeout: float | None = None, rate: str = "sms") -> Iterator[Hold | None]:
    """acquire(), ended (counting one more second) when the block is left, however it is left."""
    hold = acquire(count, timeout, rate)
    try:
        yield hold
    finally:
        if hold is not None:
            hold.end()
