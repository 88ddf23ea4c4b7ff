"""The API's default throttles (vigilants/throttling.py): fixed windows, reads and writes counted apart, one
round trip to Redis a request, the same limits as before for writes."""

from typing import Any

import pytest
from django.core.cache.backends.redis import RedisCacheClient
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from conftest import Town, client_for
from vigilants.cache import FallbackRedisCache
from vigilants.throttling import hit

from .throwaway_redis import commands_sent, needs_redis_server, throwaway_redis


@pytest.fixture
def rates(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Small limits (DRF's throttles read their rates once, at import)."""

    def apply(**rates: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **rates})

    return apply


def test_reads_are_limited_apart_from_writes_per_person(saint_paul: Town, rates: Any) -> None:
    rates(user_read="3/hour", user="2/hour")
    me = client_for(saint_paul.resident)
    assert [me.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = me.get("/api/v1/me")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 3600
    # Reading spent nothing of the writes' budget.
    assert me.patch("/api/v1/me", {"display_name": "Jeanne"}, format="json").status_code == 200
    assert me.patch("/api/v1/me", {"display_name": "Jeanne"}, format="json").status_code == 200
    assert me.patch("/api/v1/me", {"display_name": "Jeanne"}, format="json").status_code == 429
    # Each person has their own budget.
    assert client_for(saint_paul.resident2).get("/api/v1/me").status_code == 200


def test_anonymous_reads_are_limited_per_address(db: None, anon: Any, rates: Any) -> None:
    rates(anon_read="2/minute")
    assert [anon.get("/api/v1/communes/06128").status_code for _ in range(3)] == [404, 404, 429]
    assert anon.get("/api/v1/communes/06128", REMOTE_ADDR="192.0.2.7").status_code == 404


def test_the_default_read_budget_outlasts_a_minute_of_one_phone_reading_ten_times_a_second() -> None:
    rates = api_settings.DEFAULT_THROTTLE_RATES
    for scope in ("anon_read", "user_read"):
        count, period = str(rates[scope]).split("/")
        assert int(count) >= 600 * {"hour": 60, "minute": 1}[period], scope


def test_an_anonymous_request_is_counted_once(db: None, anon: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[str] = []

    def hit(key: str, window: int, request: Any = None) -> int:
        counted.append(key)
        return 1

    monkeypatch.setattr("vigilants.throttling.hit", hit)
    assert anon.get("/api/v1/communes/06128").status_code == 404
    assert len(counted) == 1 and "anon_read" in counted[0], counted


def test_a_window_counts_from_one_and_expires_with_its_period(db: None) -> None:
    assert [hit("t:1", 60) for _ in range(3)] == [1, 2, 3]
    assert hit("t:2", 60) == 1


@needs_redis_server
def test_on_redis_a_request_costs_one_round_trip_and_the_counter_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    with throwaway_redis() as server:
        cache = FallbackRedisCache(server.url, {})
        cache.breaker.reset()
        cache.count("connected", 60)  # the connection's own handshake is not the throttle's
        sent = commands_sent(monkeypatch)
        assert [cache.count("throttle_user_7:0", 3600) for _ in range(3)] == [1, 2, 3]
        assert sent == [["INCR", "EXPIRE"]] * 3  # one round trip each: INCR and EXPIRE together
        redis = server.client()
        (key,) = redis.keys("*throttle_user_7*")
        assert redis.get(key) in (b"3", "3") and 3500 < redis.ttl(key) <= 3600


@needs_redis_server
def test_the_cache_makes_one_redis_client_not_one_per_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    with throwaway_redis() as server:
        cache = FallbackRedisCache(server.url, {})
        cache.breaker.reset()
        made: list[object] = []
        real = RedisCacheClient.get_client

        def counted(self: RedisCacheClient, key: Any = None, *, write: bool = False) -> Any:
            made.append(key)
            return real(self, key, write=write)

        monkeypatch.setattr(RedisCacheClient, "get_client", counted)
        for n in range(5):
            cache.set(f"k{n}", n)
            assert cache.get(f"k{n}") == n
        cache.count("c", 60)
        assert len(made) == 1


@needs_redis_server
def test_a_restarted_redis_is_counted_on_at_once_without_falling_back() -> None:
    """The round trip's connection was pooled before Redis restarted: the pool replaces it, no error reaches us."""
    with throwaway_redis() as server:
        cache = FallbackRedisCache(server.url, {})
        cache.breaker.reset()
        assert [cache.count("throttle_user_8:0", 60) for _ in range(2)] == [1, 2]
        server.stop()
        server.start()  # the same port, empty
        assert cache.count("throttle_user_8:0", 60) == 1  # Redis's count, not the fallback's (which never counted)
        assert cache.using_redis and server.client().keys("*throttle_user_8*")


@needs_redis_server
def test_a_refused_command_leaves_no_reply_for_the_next_round_trip() -> None:
    """An error reply stops the reading midway: that connection is dropped, never handed on with a reply unread."""
    with throwaway_redis() as server:
        cache = FallbackRedisCache(server.url, {})
        cache.breaker.reset()
        server.client().lpush(cache.make_and_validate_key("not-a-counter"), "x")
        assert cache.round_trip(count=("not-a-counter", 60), read=["anything"]) is None  # WRONGTYPE: Redis refused
        cache.breaker.reset()
        cache.set("kept", "value")
        trip = cache.round_trip(count=("throttle_user_9:0", 60), read=["kept"])
        assert trip is not None and (trip.count, trip.found) == (1, {"kept": "value"})
