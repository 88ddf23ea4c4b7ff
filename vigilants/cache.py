"""The Django cache on Redis, falling back to each process's memory while Redis does not answer.

DRF's throttles and the sign-in code counter read the cache on every request: with Django's plain
RedisCache, Redis stopped meant a 500 on every API call, and Redis unreachable (no answer, a dropped route)
meant each request waited for the socket timeouts. Here a Redis error sends the call to a local in-memory
cache, and a circuit breaker (vigilants/breaker.py) keeps sending calls there for a few seconds without
trying Redis; then one call tries Redis again, and once it answers, Redis is used again.

While Redis is down each process counts throttles on its own (looser limits, never refusals for nothing);
what was written locally is not copied back to Redis.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from .breaker import CircuitBreaker

log = logging.getLogger(__name__)

# Short: a request pays at most one of these per outage and process (then the breaker is open).
DEFAULT_TIMEOUTS = {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}
RETRY_AFTER_SECONDS = 5.0
# Throttle keys are one per client and scope: LocMemCache's default 300 would cull them mid-outage.
FALLBACK_MAX_ENTRIES = 20_000


# Commands of a caller's own for a round trip, as (name, arguments…); given how a key's full name is made.
Extra = Callable[[Callable[[str], str]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class RoundTrip:
    """What one round trip read: the counter's new value, the values present of the keys read, and the results
    of the extra commands, in their order."""

    count: int | None
    found: dict[str, Any] | None
    extra: list[Any]


@cache
def breaker_for(location: str) -> CircuitBreaker:
    """One breaker per Redis and process: Django builds one cache object per thread."""
    meanwhile = "throttles counted in each process's memory"
    return CircuitBreaker(f"cache (Redis {_safe(location)})", log, meanwhile, cooldown=RETRY_AFTER_SECONDS)


def _safe(location: str) -> str:
    """Host, port and database only: the URL's password never reaches the logs."""
    return location.rsplit("@", 1)[-1].split("://", 1)[-1]


def _guarded(name: str) -> Callable[..., Any]:
    def operation(self: "FallbackRedisCache", *args: Any, **kwargs: Any) -> Any:
        return self._call(name, *args, **kwargs)

    operation.__name__ = operation.__qualname__ = name
    return operation


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a redis.Redis object for every operation (about 60 µs of CPU: two a request, for
    the throttle and a cached answer); one per connection pool serves every call, as redis-py's clients are
    safe to share between threads (each call takes a connection from the pool)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's own choice of server (writes to the first, reads spread over replicas), untyped in its stubs.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = super().get_client(key, write=write)
        return client


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {**DEFAULT_TIMEOUTS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self.breaker = breaker_for(str(server))
        local = {key: value for key, value in params.items() if key != "OPTIONS"}
        # Same name in every thread: LocMemCache shares its storage by name, so the process has one.
        self.fallback = LocMemCache(f"redis-fallback:{server}", {**local, "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}})

    def validate_key(self, key: str) -> None:
        """Django warns of keys that memcached would refuse (long, with spaces or control characters) by walking
        every character of every key, on every call: about 3 % of a cached read. This cache is Redis, which takes
        any key, and falls back to memory, which does too."""

    @property
    def using_redis(self) -> bool:
        return not self.breaker.is_open

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.breaker.allows():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as error:  # refused, timed out, loading after a restart, out of memory…
                self.breaker.failed(error)
            else:
                self.breaker.succeeded()
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    def count(self, key: str, window: int) -> int:
        """Add one to the counter `key` and return it; a new counter expires after `window` seconds. One
        round trip (INCR and EXPIRE pipelined): the throttles call it on every request."""
        trip = self.round_trip(count=(key, window))
        return count_in(self.fallback, key, window) if trip is None or trip.count is None else trip.count

    def round_trip(
        self, *, count: tuple[str, int] | None = None, read: list[str] | None = None, extra: Extra | None = None
    ) -> RoundTrip | None:
        """In one round trip to Redis: the commands `extra` returns (given how a key's full name is made), `count`
        (a counter and its window, as `count`) and the values of the keys `read` that are present (as get_many).
        None while Redis is away: the caller turns to the fallback or to the database.

        Every request's first round trip: the throttle's count, with a device's kept token
        (accounts/signin_cache.py) and the keys its view reads (vigilants/riders.py)."""
        if not self.breaker.allows():
            return None
        try:
            results, extras = self._pipelined(count, read, extra)
        except RedisError as error:  # refused, timed out, loading after a restart, out of memory…
            self.breaker.failed(error)
            return None
        self.breaker.succeeded()
        counted = int(results[extras]) if count else None
        if not read:
            return RoundTrip(counted, None, results[:extras])
        loads = self._cache._serializer.loads  # type: ignore[attr-defined]  # Django's, as its get_many's
        found = {name: loads(value) for name, value in zip(read, results[-1], strict=True) if value is not None}
        return RoundTrip(counted, found, results[:extras])

    def _pipelined(self, count: tuple[str, int] | None, read: list[str] | None, extra: Extra | None) -> tuple[list[Any], int]:
        commands = [] if extra is None else extra(self.make_and_validate_key)
        extras = len(commands)
        if count is not None:
            key = self.make_and_validate_key(count[0])
            # EXPIRE each time, not only on a new key (NX needs Redis 7): the key names its window, so it lives
            # at most two windows.
            commands += [("INCR", key), ("EXPIRE", key, count[1])]
        if read:
            commands.append(("MGET", *(self.make_and_validate_key(name) for name in read)))
        return self._send(commands), extras

    def _send(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """The commands written at once on a connection of the client's pool, and their replies as Redis gives
        them: what redis-py's pipeline does, without its machinery around each command (retries, observability,
        callbacks): 32 instead of 55 µs of CPU for the four commands of a signed-in read (bench/herd/README.md).
        A pooled connection that Redis closed (a restart) is replaced by the pool before it is handed out."""
        pool = self._cache.get_client(write=True).connection_pool
        connection = pool.get_connection()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _ in commands]
        except BaseException:
            connection.disconnect()  # a reply left unread would answer the next caller of this connection
            raise
        finally:
            pool.release(connection)

    def run_script(self, source: str, key: str, arguments: list[Any]) -> Any:
        """A Lua script on `key` (its full name made here); None while Redis is away."""
        if not self.breaker.allows():
            return None
        try:
            client = self._cache.get_client(write=True)
            result = client.register_script(source)(keys=[self.make_and_validate_key(key)], args=arguments)
        except RedisError as error:
            self.breaker.failed(error)
            return None
        self.breaker.succeeded()
        return result

    # Every operation RedisCache implements; BaseCache builds the others (get_or_set, decr…) on these.
    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")
    clear = _guarded("clear")


def count_in(backend: BaseCache, key: str, window: int) -> int:
    """`FallbackRedisCache.count` for any other cache (in memory: tests, the embedded default, an outage)."""
    if backend.add(key, 1, window):
        return 1
    try:
        return int(backend.incr(key))
    except ValueError:  # expired between add and incr: this request opens the window again
        backend.add(key, 1, window)
        return 1
