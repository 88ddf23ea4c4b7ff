"""The cache backend (vigilants/cache.py): Redis while it answers, each process's memory while it does not,
one short timeout per outage thanks to the breaker (vigilants/breaker.py), and back to Redis once it answers."""

import logging
import time

import pytest
from django.core.cache.backends.redis import RedisCacheClient

from vigilants.breaker import CircuitBreaker
from vigilants.cache import FallbackRedisCache, breaker_for

from .throwaway_redis import free_port, needs_redis_server, silent_server, throwaway_redis

log = logging.getLogger("tests.breaker")


@pytest.fixture
def redis_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How many times the backend reached for a Redis connection."""
    calls: list[str] = []
    real = RedisCacheClient.get_client

    def counted(self: RedisCacheClient, key: str | bytes | memoryview | None = None, *, write: bool = False) -> object:
        calls.append("redis")
        return real(self, key, write=write)

    monkeypatch.setattr(RedisCacheClient, "get_client", counted)
    return calls


def backend(location: str, cooldown: float = 5.0) -> FallbackRedisCache:
    cache = FallbackRedisCache(location, {})
    cache.breaker.reset()
    cache.breaker.cooldown = cooldown
    return cache


def test_the_breaker_lets_one_caller_try_again_after_the_cooldown_and_logs_once_per_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    breaker = CircuitBreaker("service", log, "fallback", cooldown=0.2)
    assert breaker.allows()
    with caplog.at_level(logging.WARNING, logger="tests.breaker"):
        breaker.failed(ConnectionError("refused"))
        breaker.failed(ConnectionError("refused"))
        assert not breaker.allows() and breaker.is_open
        time.sleep(0.25)
        assert breaker.allows()  # this caller tries the service again…
        assert not breaker.allows()  # …the others keep falling back meanwhile
        breaker.succeeded()
        breaker.succeeded()
    assert breaker.allows() and not breaker.is_open
    assert [r.getMessage() for r in caplog.records] == [
        "service unavailable (ConnectionError): fallback until it answers",
        "service answers again",
    ]


def test_redis_refusing_connections_falls_back_to_memory_without_trying_redis_again_during_the_cooldown(
    redis_calls: list[str],
) -> None:
    cache = backend(f"redis://127.0.0.1:{free_port()}/0")
    cache.set("a", 1)
    assert redis_calls == ["redis"] and not cache.using_redis
    assert cache.get("a") == 1
    assert cache.add("b", 2) is True and cache.add("b", 3) is False
    assert cache.incr("a") == 2
    assert cache.get_many(["a", "b"]) == {"a": 2, "b": 2}
    assert cache.get_or_set("c", 7) == 7
    cache.delete("b")
    assert cache.get("b") is None
    with pytest.raises(ValueError):
        cache.incr("missing")  # the cache's own semantics, not an outage
    assert redis_calls == ["redis"]  # one try, then memory only until the cooldown is over


def test_redis_that_never_answers_costs_one_short_timeout_per_outage(redis_calls: list[str]) -> None:
    with silent_server() as port:
        cache = backend(f"redis://127.0.0.1:{port}/0")
        started = time.monotonic()
        cache.set("a", 1)
        first = time.monotonic() - started
        for _ in range(20):
            cache.get("a")
    # The timeouts are 0.3 s; a hang would be the system's (minutes). Generous, so a loaded machine cannot fail
    # it. The next calls skip Redis: counted, not timed.
    assert first < 5, first
    assert len(redis_calls) == 1


@needs_redis_server
def test_it_goes_back_to_redis_once_redis_answers_again() -> None:
    with throwaway_redis() as server:
        cache = backend(server.url, cooldown=0.2)
        cache.set("kept", "in redis")
        assert server.client().exists(cache.make_key("kept"))
        server.stop()
        cache.set("during", "in memory")
        assert cache.get("during") == "in memory" and not cache.using_redis
        server.start()  # the same port, empty
        time.sleep(0.25)
        cache.set("after", "in redis again")
        assert cache.using_redis
        assert server.client().exists(cache.make_key("after"))
        assert cache.get("during") is None  # read from Redis again, not from the memory of the outage


def test_every_thread_shares_one_breaker_per_redis() -> None:
    location = f"redis://127.0.0.1:{free_port()}/0"
    assert FallbackRedisCache(location, {}).breaker is FallbackRedisCache(location, {}).breaker is breaker_for(location)


def test_the_log_never_shows_the_redis_password(caplog: pytest.LogCaptureFixture) -> None:
    cache = backend(f"redis://:s3cret-password@127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING):
        cache.get("a")
    assert "unavailable" in caplog.text and "s3cret" not in caplog.text
