"""Following a commune's public warnings from the app: follow, change, stop, list; bad input; RGPD."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from communes.follow import FOLLOW_CHANNELS
from communes.models import Follow
from conftest import Town, client_for
from notifications.models import Channel
from tests.factories import CommuneFactory, NeighbourhoodFactory, UserFactory

FOLLOW = "/api/v1/communes/06128/follow"


@pytest.fixture
def walker(db: None) -> User:
    """Someone who never asked to join: a hiker who wants the valley's warnings."""
    return UserFactory.create()


def post(client: APIClient, body: Any, path: str = FOLLOW) -> Any:
    return client.post(path, body, format="json")


def test_channels_are_the_notifications_own() -> None:
    assert set(FOLLOW_CHANNELS) == set(Channel.values)


def test_anyone_signed_in_follows_changes_stops_and_follows_again(saint_paul: Town, walker: User) -> None:
    north, south = (NeighbourhoodFactory.create(commune=saint_paul.commune, name=n) for n in ("Nord", "Sud"))
    client = client_for(walker)
    created = post(client, {"neighbourhoods": [north.pk], "channels": ["sms"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["commune"] == {"insee": "06128", "name": "Saint-Paul-de-Vence"}
    assert (body["neighbourhoods"], body["channels"], body["active"]) == ([{"id": north.pk, "name": "Nord"}], ["sms"], True)
    changed = post(client, {"neighbourhoods": [south.pk, north.pk, south.pk]})  # channels left out: kept
    assert changed.status_code == 200
    assert ({n["name"] for n in changed.json()["neighbourhoods"]}, changed.json()["channels"]) == ({"Nord", "Sud"}, ["sms"])
    assert client.delete(FOLLOW).status_code == 204
    assert Follow.objects.get(user=walker).stopped_at is not None
    again = post(client, {})
    assert again.status_code == 201  # following again: a new start, with the choices made before
    assert (len(again.json()["neighbourhoods"]), again.json()["channels"], again.json()["active"]) == (2, ["sms"], True)
    assert Follow.objects.filter(user=walker).count() == 1
    assert post(client, {"neighbourhoods": [], "channels": []}).json() | {"created_at": None} == {
        "commune": {"insee": "06128", "name": "Saint-Paul-de-Vence"}, "neighbourhoods": [], "channels": [],
        "created_at": None, "stopped_at": None, "active": True}  # fmt: skip


def test_channels_are_stored_once_each_in_one_order(saint_paul: Town, walker: User) -> None:
    assert post(client_for(walker), {"channels": ["sms", "push", "sms"]}).json()["channels"] == ["push", "sms"]


def test_my_follows_lists_what_i_follow_now(saint_paul: Town, charleville: Town, walker: User) -> None:
    client = client_for(walker)
    post(client, {})
    post(client, {}, path="/api/v1/communes/08105/follow")
    client.delete("/api/v1/communes/08105/follow")
    listed = client.get("/api/v1/me/follows").json()
    assert listed["count"] == 1 and [f["commune"]["insee"] for f in listed["results"]] == ["06128"]
    assert client_for(saint_paul.resident).get("/api/v1/me/follows").json()["count"] == 0


def test_stopping_twice_keeps_the_first_date_and_stopping_what_one_never_followed_is_404(
    saint_paul: Town, walker: User
) -> None:
    client = client_for(walker)
    assert client.delete(FOLLOW).status_code == 404
    post(client, {})
    client.delete(FOLLOW)
    first = Follow.objects.get(user=walker).stopped_at
    assert client.delete(FOLLOW + "/").status_code == 204
    assert Follow.objects.get(user=walker).stopped_at == first


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["fax"]}, "channels"),
        ({"channels": "sms"}, "channels"),
        ({"channels": None}, "channels"),
        ({"channels": [["sms"]]}, "channels"),
        ({"neighbourhoods": ["abc"]}, "neighbourhoods"),
        ({"neighbourhoods": [2**63]}, "neighbourhoods"),
        ({"neighbourhoods": [-1]}, "neighbourhoods"),
        ({"neighbourhoods": None}, "neighbourhoods"),
        ({"neighbourhoods": 3}, "neighbourhoods"),
        ({"neighbourhoods": [{"id": 1}]}, "neighbourhoods"),
        ({"neighbourhoods": list(range(1, 300))}, "neighbourhoods"),
        ([1, 2], "non_field_errors"),
        ("sms", "non_field_errors"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_changes_nothing(saint_paul: Town, walker: User, body: Any,
                                                               field: str) -> None:  # fmt: skip
    response = post(client_for(walker), body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Follow.objects.exists()


def test_a_quartier_of_another_commune_is_a_400(saint_paul: Town, charleville: Town, walker: User) -> None:
    theirs = NeighbourhoodFactory.create(commune=charleville.commune)
    ours = NeighbourhoodFactory.create(commune=saint_paul.commune)
    response = post(client_for(walker), {"neighbourhoods": [ours.pk, theirs.pk]})
    assert response.status_code == 400
    assert response.json() == {"neighbourhoods": ["Ce quartier n'appartient pas à cette commune."]}
    assert not Follow.objects.exists()


def test_a_commune_not_enrolled_is_a_409_and_an_unknown_one_a_404(db: None, walker: User) -> None:
    CommuneFactory.create(insee="06123", name="Vence", enrolled=False, enrolled_at=None)
    client = client_for(walker)
    refused = post(client, {}, path="/api/v1/communes/06123/follow")
    assert refused.status_code == 409 and "detail" in refused.json()
    assert post(client, {}, path="/api/v1/communes/06999/follow").status_code == 404
    assert post(client, {}, path="/api/v1/communes/6128/follow").status_code == 404
    assert client.delete("/api/v1/communes/06999/follow").status_code == 404
    assert not Follow.objects.exists()


def test_a_member_may_follow_their_own_commune_too(saint_paul: Town) -> None:
    assert post(client_for(saint_paul.resident), {"channels": ["push"]}).status_code == 201


def test_signing_in_is_needed(saint_paul: Town) -> None:
    anon = APIClient()
    assert post(anon, {}).status_code == 401
    assert anon.delete(FOLLOW).status_code == 401
    assert anon.get("/api/v1/me/follows").status_code == 401


def test_the_export_lists_my_follows_and_erasure_removes_them(saint_paul: Town, charleville: Town, walker: User) -> None:
    quartier = NeighbourhoodFactory.create(commune=saint_paul.commune, name="Les Gardettes")
    client = client_for(walker)
    post(client, {"neighbourhoods": [quartier.pk], "channels": ["sms"]})
    post(client, {}, path="/api/v1/communes/08105/follow")
    client.delete("/api/v1/communes/08105/follow")
    export = client.get("/api/v1/me/export").json()["follows"]
    assert [(f["commune"], f["neighbourhoods"], f["channels"], f["stopped_at"] is None) for f in export] == [
        ("06128", ["Les Gardettes"], ["sms"], True), ("08105", [], [], False)]  # fmt: skip
    assert client.delete("/api/v1/me").status_code == 204
    assert not Follow.objects.exists()
    assert not Follow.neighbourhoods.through.objects.exists()
