"""Device tokens kept in Redis (accounts/signin_cache.py): read with the throttle's count in one round trip, never
accepted once revoked, never answering for rights that changed, and PostgreSQL again while Redis is away."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts import signin_cache
from accounts.models import AuthToken, hash_secret
from alerts.models import Alert
from communes.models import Membership, ModerationDelegation, TerritoryKind, TerritoryOperator
from conftest import Town
from tests.throwaway_redis import ThrowawayRedis, commands_sent, needs_redis_server, round_trips

pytestmark = needs_redis_server

LIST = "/api/v1/alerts"


@pytest.fixture
def redis_server(redis_cache: ThrowawayRedis) -> ThrowawayRedis:
    return redis_cache


def signed_in(user: Any) -> tuple[Any, str]:
    from rest_framework.test import APIClient

    _, key = AuthToken.objects.issue(user, "test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def statements(client: Any, path: str, **params: Any) -> tuple[int, int]:
    """(status, statements sent to the database) of one GET."""
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path, params).status_code
    return status, len(captured)


def kept(server: ThrowawayRedis, key: str) -> dict[Any, Any]:
    names = server.client().keys(f"*signin:{hash_secret(key)}")
    return dict(server.client().hgetall(names[0])) if names else {}


def test_a_kept_token_is_read_from_redis_with_its_answer_and_count(saint_paul: Town, redis_server: ThrowawayRedis,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    client, key = signed_in(saint_paul.resident)
    assert statements(client, LIST, commune="06128")[0] == 200  # read from PostgreSQL, then kept
    assert signin_cache.AUTH in kept(redis_server, key)
    sent = commands_sent(monkeypatch)
    assert statements(client, LIST, commune="06128") == (200, 0)  # nothing asked of PostgreSQL
    # The token, whether its person shares the residents' page, the read's count and the page: one round trip.
    assert sent == [["HMGET", "INCR", "EXPIRE", "MGET"]]
    (counter,) = redis_server.client().keys("*throttle_user_read_token-*")
    assert redis_server.client().get(counter) == b"2"  # each read counted once, the throttle did not count again


def test_the_read_budget_still_holds(saint_paul: Town, redis_server: ThrowawayRedis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "user_read": "3/minute"})
    client, _ = signed_in(saint_paul.resident)
    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_a_signed_out_token_is_refused_at_once(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    client, key = signed_in(saint_paul.resident)
    other, _ = signed_in(saint_paul.resident)
    assert client.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    assert kept(redis_server, key) == {signin_cache.GONE: b"1"}  # a tombstone
    assert other.get("/api/v1/me").status_code == 200  # the person's other device stays signed in


def test_a_token_revoked_from_another_device_is_refused_at_once(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    phone, _ = signed_in(saint_paul.resident)
    tablet, _ = signed_in(saint_paul.resident)
    assert phone.get("/api/v1/me").status_code == 200
    token = AuthToken.objects.filter(user=saint_paul.resident).order_by("created_at").first()
    assert token is not None and tablet.delete(f"/api/v1/auth/sessions/{token.pk}").status_code == 204
    assert phone.get("/api/v1/me").status_code == 401


def test_an_erased_or_deactivated_person_is_refused_at_once(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    resident, _ = signed_in(saint_paul.resident)
    mayor, _ = signed_in(saint_paul.mayor)
    assert resident.get("/api/v1/me").status_code == 200 and mayor.get("/api/v1/me").status_code == 200
    assert resident.delete("/api/v1/me").status_code == 204
    assert resident.get("/api/v1/me").status_code == 401
    saint_paul.mayor.is_active = False
    saint_paul.mayor.save()
    assert mayor.get("/api/v1/me").status_code == 401


def test_a_change_to_the_person_is_read_at_once(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    phone, _ = signed_in(saint_paul.resident)
    tablet, _ = signed_in(saint_paul.resident)
    assert tablet.get("/api/v1/me").json()["display_name"] != "Jeanne"
    assert phone.patch("/api/v1/me", {"display_name": "Jeanne"}, format="json").status_code == 200
    assert tablet.get("/api/v1/me").json()["display_name"] == "Jeanne"


def residents_copy(client: Any) -> Any:
    response = client.get(LIST, {"commune": "06128"})
    assert response.status_code == 200
    return response.json()["results"]


def approved(town: Town, **fields: Any) -> Alert:
    values = {"commune": town.commune, "category": "vol", "description": "Vélo volé", "address": "3 rue Haute",
              "occurred_at": timezone.now() - timedelta(hours=1), "status": "approved", **fields}  # fmt: skip
    return Alert.objects.create(**values)


def test_a_member_removed_no_longer_reads_the_residents_copy(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    approved(saint_paul, reporter=saint_paul.referent)
    client, _ = signed_in(saint_paul.resident)
    assert len(residents_copy(client)) == 1 and len(residents_copy(client)) == 1  # kept, answered from Redis
    Membership.objects.filter(user=saint_paul.resident, commune=saint_paul.commune).get().delete()
    assert client.get(LIST, {"commune": "06128"}).json()["results"] == []  # as any non-member reads it


def test_a_resident_who_reports_reads_their_own_report(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    approved(saint_paul, reporter=saint_paul.referent)
    client, _ = signed_in(saint_paul.resident)
    assert residents_copy(client) == residents_copy(client)  # kept: shares the residents' copy
    approved(saint_paul, reporter=saint_paul.resident, address="7 chemin des Oliviers")
    mine = [row for row in residents_copy(client) if row["address"] == "7 chemin des Oliviers"]
    assert len(mine) == 1  # their own report's address: not the residents' copy, where it is hidden


def test_a_delegation_changes_what_operators_read(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    approved(saint_paul, reporter=saint_paul.referent)
    TerritoryOperator.objects.create(user=saint_paul.resident, kind=TerritoryKind.DEPARTEMENT, code="06")
    client, _ = signed_in(saint_paul.resident)
    assert residents_copy(client)[0]["address"] is None and residents_copy(client)[0]["address"] is None
    ModerationDelegation.objects.create(commune=saint_paul.commune, kind=TerritoryKind.DEPARTEMENT, code="06")
    assert residents_copy(client)[0]["address"] == "3 rue Haute"  # moderates the commune's reports now


def test_nothing_is_kept_over_a_tombstone(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    """A request that read PostgreSQL before a change, storing after the change was forgotten, stores nothing."""
    token, key = AuthToken.objects.issue(saint_paul.resident, "test")
    stale = AuthToken.objects.select_related("user").get(pk=token.pk)
    signin_cache.forget_tokens([hash_secret(key)])
    signin_cache.store(hash_secret(key), stale)
    assert signin_cache.AUTH not in kept(redis_server, key)
    redis_server.client().delete(*redis_server.client().keys("*signin:*"))  # the tombstone's time is over
    signin_cache.store(hash_secret(key), stale)
    assert signin_cache.AUTH in kept(redis_server, key)
    assert redis_server.client().ttl(redis_server.client().keys("*signin:*")[0]) <= signin_cache.KEEP_SECONDS


def test_without_redis_tokens_are_read_from_postgresql_and_revocation_holds(
    saint_paul: Town, redis_server: ThrowawayRedis
) -> None:
    client, _ = signed_in(saint_paul.resident)
    assert client.get("/api/v1/me").status_code == 200 and client.get("/api/v1/me").status_code == 200
    redis_server.stop()
    status, sent = statements(client, "/api/v1/me")
    assert status == 200 and sent >= 1  # the token from the database
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_a_kept_token_that_cannot_be_read_is_read_from_postgresql(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    """Kept by another release of the code, during a deploy's minute: no 500."""
    client, key = signed_in(saint_paul.resident)
    assert client.get("/api/v1/me").status_code == 200
    (name,) = redis_server.client().keys(f"*signin:{hash_secret(key)}")
    redis_server.client().hset(name, "auth", b"\x80\x05not a pickle")
    status, sent = statements(client, "/api/v1/me")
    assert status == 200 and sent >= 1


def test_me_is_answered_without_postgresql_and_shows_a_new_territory_at_once(
    saint_paul: Town, redis_server: ThrowawayRedis
) -> None:
    client, _ = signed_in(saint_paul.mayor)
    assert client.get("/api/v1/me").json()["territories"] == []
    # Whether the person operates a territory came with the token, and is kept with it.
    assert statements(client, "/api/v1/me") == (200, 0)
    TerritoryOperator.objects.create(user=saint_paul.mayor, kind=TerritoryKind.DEPARTEMENT, code="06")
    assert [t["code"] for t in client.get("/api/v1/me").json()["territories"]] == ["06"]
    assert [t["code"] for t in client.get("/api/v1/me").json()["territories"]] == ["06"]  # kept: still there


@pytest.mark.parametrize("read", ["list", "alert"])
def test_a_residents_kept_copy_comes_in_the_tokens_round_trip(saint_paul: Town, redis_server: ThrowawayRedis,
                                                              monkeypatch: pytest.MonkeyPatch, read: str) -> None:  # fmt: skip
    alert = approved(saint_paul, reporter=saint_paul.referent)
    client, _ = signed_in(saint_paul.resident)
    path, params = (LIST, {"commune": "06128"}) if read == "list" else (f"{LIST}/{alert.pk}", {})
    first = client.get(path, params).json()  # the token and the copy kept
    assert client.get(path, params).json() == first  # the copy's commune known to this process
    sent = round_trips(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).json() == first
    assert (len(sent), len(captured)) == (1, 0)  # one round trip to Redis, none to PostgreSQL


def test_an_answer_kept_for_one_commune_is_not_given_for_another(saint_paul: Town, vence: Town, redis_server: ThrowawayRedis,
                                                                 django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    """The answers kept with a token are kept per question: whether one resides in 06128 says nothing of 06157."""
    Membership.objects.create(user=saint_paul.resident, commune=vence.commune, role="resident", status="approved")
    ours, theirs = approved(saint_paul, reporter=saint_paul.referent), approved(vence, reporter=vence.referent)
    client, _ = signed_in(saint_paul.resident)
    assert [row["id"] for row in residents_copy(client)] == [ours.pk] == [row["id"] for row in residents_copy(client)]
    kept_answer = client.get(LIST, {"commune": "06157"}).json()
    fresh, _ = signed_in(saint_paul.resident)  # a new device: its first request reads PostgreSQL
    assert kept_answer == fresh.get(LIST, {"commune": "06157"}).json()
    assert [row["id"] for row in kept_answer["results"]] == [theirs.pk]
    # Kept under 06157's version: a new alert there shows at once (not under 06128's, which it does not change).
    with django_capture_on_commit_callbacks(execute=True):
        newer = approved(vence, reporter=vence.referent, address="9 place du Frêne")
    assert [row["id"] for row in client.get(LIST, {"commune": "06157"}).json()["results"]] == [newer.pk, theirs.pk]


def test_a_sign_in_to_the_dashboards_keeps_the_persons_devices(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    from django.contrib.auth.models import update_last_login

    client, key = signed_in(saint_paul.mayor)
    assert client.get("/api/v1/me").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        update_last_login(type(saint_paul.mayor), saint_paul.mayor)  # what Django's login() does
    assert len(captured) == 1 and signin_cache.AUTH in kept(redis_server, key)  # the UPDATE alone; still kept
    saint_paul.mayor.save(update_fields=["last_login", "display_name"])
    assert signin_cache.AUTH not in kept(redis_server, key)  # any other field: forgotten


@pytest.mark.django_db(transaction=True)
def test_a_request_that_read_a_token_before_its_revocation_keeps_nothing(saint_paul: Town, redis_server: ThrowawayRedis,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Two requests in parallel, each with its own database connection, as in two gunicorn processes: the first
    reads the token from PostgreSQL, the revocation commits and is forgotten, then the first stores what it read.
    The tombstone refuses the store: the next request is refused, not answered from what Redis kept."""
    import threading

    from django.db import connections

    from accounts import authentication

    client, key = signed_in(saint_paul.resident)
    token = AuthToken.objects.get(key_hash=hash_secret(key))
    read, revoked = threading.Event(), threading.Event()
    real = authentication.token_with_user_and

    def slow_lookup(*args: Any) -> Any:
        found = real(*args)
        read.set()
        assert revoked.wait(10)
        return found

    monkeypatch.setattr(authentication, "token_with_user_and", slow_lookup)
    statuses: list[int] = []

    def first_request() -> None:
        try:
            statuses.append(client.get("/api/v1/me").status_code)
        finally:
            connections.close_all()

    racing = threading.Thread(target=first_request)
    racing.start()
    assert read.wait(10)
    token.delete()  # the revocation, committed (autocommit) while the first request is between read and store
    revoked.set()
    racing.join(10)
    monkeypatch.setattr(authentication, "token_with_user_and", real)
    assert statuses == [200]  # it read the token before the revocation
    assert signin_cache.AUTH not in kept(redis_server, key)
    assert client.get("/api/v1/me").status_code == 401


def test_me_is_kept_with_the_token_and_sent_as_drf_renders_it(saint_paul: Town, redis_server: ThrowawayRedis,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from accounts import views

    client, _ = signed_in(saint_paul.resident)
    first = client.get("/api/v1/me")
    monkeypatch.setattr(views, "me_representation", lambda *args: pytest.fail("represented again"))
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/api/v1/me")
    assert len(captured) == 0 and again.content == first.content and again.json()["id"] == saint_paul.resident.pk
    for header in ("Content-Type", "Vary", "Allow", "Cache-Control", "Content-Language"):
        assert again[header] == first[header], header
    monkeypatch.undo()
    indented = client.get("/api/v1/me", HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200 and b'\n  "id"' in indented.content  # not the kept compact bytes


def test_me_kept_for_one_device_is_not_another_s(saint_paul: Town, redis_server: ThrowawayRedis) -> None:
    resident, _ = signed_in(saint_paul.resident)
    mayor, _ = signed_in(saint_paul.mayor)
    assert resident.get("/api/v1/me").json()["id"] == resident.get("/api/v1/me").json()["id"] == saint_paul.resident.pk
    assert mayor.get("/api/v1/me").json()["id"] == mayor.get("/api/v1/me").json()["id"] == saint_paul.mayor.pk
