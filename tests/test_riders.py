"""Keys a view reads in the request's first round trip to Redis (vigilants/riders.py): an anonymous request's
throttle count carries them."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import Town
from tests.throwaway_redis import ThrowawayRedis, needs_redis_server, round_trips

pytestmark = needs_redis_server


@pytest.mark.parametrize("path", ["/api/v1/communes/06128", "/api/v1/communes?search=saint"])
def test_a_kept_commune_answer_comes_with_the_throttle_count(saint_paul: Town, anon: Any, redis_cache: ThrowawayRedis,
                                                              monkeypatch: pytest.MonkeyPatch, path: str) -> None:  # fmt: skip
    first = anon.get(path)
    assert first.status_code == 200
    sent = round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        again = anon.get(path)
    assert again.status_code == 200 and again.content == first.content
    assert (len(sent), len(captured)) == (1, 0)  # the count and the answer in one round trip; no database


def test_without_redis_the_answer_is_read_from_the_fallback(saint_paul: Town, anon: Any, redis_cache: ThrowawayRedis) -> None:
    assert anon.get("/api/v1/communes/06128").status_code == 200
    redis_cache.stop()
    again = anon.get("/api/v1/communes/06128")
    assert again.status_code == 200 and again.json()["insee"] == "06128"
