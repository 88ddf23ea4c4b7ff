"""The public warnings' API: reading (anyone), writing (mayors, delegates, staff), its refusals, delegates, rules,
vigilance decisions. The matrix of every persona is in tests/test_authz_matrix.py."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import Town, client_for
from risks import instructions
from risks.models import Hazard, Level, MessageType, RiskWarning, WarningDelegate
from risks.services import delegate_grant, warning_end, warning_update
from tests.factories import NeighbourhoodFactory

from .helpers import change, issue

pytestmark = pytest.mark.django_db


def body(**fields: Any) -> dict[str, Any]:
    return {"hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde.",
            "expires_at": (timezone.now() + timedelta(hours=6)).isoformat(), **fields}  # fmt: skip


def create(client: APIClient, insee: str = "06128", **fields: Any) -> Any:
    return client.post(f"/api/v1/communes/{insee}/warnings", body(**fields), format="json")


# --- Reading ---------------------------------------------------------------------------------------------------


def test_anyone_reads_each_threads_latest_row(saint_paul: Town, charleville: Town) -> None:
    first = issue(saint_paul)
    update = warning_update(previous=first, actor=saint_paul.mayor, level=Level.RED)
    other = issue(saint_paul, title="Canicule", hazard=Hazard.HEATWAVE)
    issue(charleville)
    answer = APIClient().get("/api/v1/communes/06128/warnings")
    assert answer.status_code == 200
    rows = answer.json()["results"]
    assert [row["id"] for row in rows] == [other.pk, update.pk]
    row = rows[1]
    assert (row["thread"], row["references"], row["latest"], row["msg_type"]) == (first.pk, first.pk, update.pk, "Update")
    assert (row["status"], row["level"], row["severity"], row["category"]) == ("active", "red", "Extreme", "Met")
    assert row["notification_tag"] == f"warning-{first.pk}" and row["commune"] == "06128"
    assert row["area"] == {"kind": "commune", "latitude": None, "longitude": None, "radius_m": None, "neighbourhoods": []}
    assert "issued_by" not in row  # the commune speaks, no one's name


def test_ended_threads_stay_listed_a_while_and_current_lists_those_in_force(saint_paul: Town) -> None:
    ended = warning_end(previous=issue(saint_paul, title="Fini"), actor=saint_paul.mayor, text="Terminé.")
    live = issue(saint_paul, title="En cours")
    client = APIClient()
    rows = client.get("/api/v1/communes/06128/warnings").json()["results"]
    assert {(r["id"], r["status"]) for r in rows} == {(ended.pk, "ended"), (live.pk, "active")}
    assert [r["id"] for r in client.get("/api/v1/communes/06128/warnings?current=true").json()["results"]] == [live.pk]
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert client.get("/api/v1/communes/06128/warnings").json()["count"] == 0


def test_one_row_is_public_and_names_the_row_in_force(saint_paul: Town) -> None:
    first = issue(saint_paul)
    update = warning_update(previous=first, actor=saint_paul.mayor, title="Suite")
    answer = APIClient().get(f"/api/v1/warnings/{first.pk}")
    assert answer.status_code == 200 and answer.json()["latest"] == update.pk
    assert APIClient().get("/api/v1/warnings/999999").status_code == 404
    assert APIClient().get("/api/v1/communes/99999/warnings").status_code == 404


def test_the_ready_instructions_are_public(saint_paul: Town) -> None:
    answer = APIClient().get("/api/v1/warnings/instructions?hazard=flood&level=red")
    assert answer.status_code == 200
    assert answer.json()["instruction"] == instructions.ready_text("flood", "red")
    assert "https://www.vigicrues.gouv.fr/" in answer.json()["sources"]
    assert APIClient().get("/api/v1/warnings/instructions?hazard=volcan").status_code == 400
    assert APIClient().get("/api/v1/warnings/instructions").status_code == 400
    assert APIClient().get("/api/v1/warnings/instructions?hazard=storm").json()["level"] == "information"


# --- Writing -------------------------------------------------------------------------------------------------


def test_the_mayor_issues_and_gets_the_ready_instructions_unless_given(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    answer = create(mayor, level="red")
    assert answer.status_code == 201, answer.content
    assert answer.json()["instruction"] == instructions.ready_text("flood", "red")
    assert RiskWarning.objects.get(pk=answer.json()["id"]).issued_by == saint_paul.mayor
    assert create(mayor, instruction="").json()["instruction"] == ""


def test_a_delegate_issues_a_referent_without_delegation_does_not(saint_paul: Town) -> None:
    referent = client_for(saint_paul.referent)
    assert create(referent).status_code == 403
    delegate_grant(commune=saint_paul.commune, actor=saint_paul.mayor, user=saint_paul.referent)
    assert create(referent).status_code == 201


def test_naive_times_are_paris_time(saint_paul: Town) -> None:
    tomorrow = (timezone.localtime() + timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    answer = create(client_for(saint_paul.mayor), expires_at=tomorrow.strftime("%Y-%m-%dT%H:%M"))
    assert answer.status_code == 201
    assert RiskWarning.objects.get().expires_at == tomorrow


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hazard": "volcan"}, "hazard"),
        ({"level": "violet"}, "level"),
        ({"title": "x" * 121}, "title"),
        ({"expires_at": "hier"}, "expires_at"),
        ({"expires_at": "2000-01-01T00:00:00+01:00"}, "expires_at"),
        ({"expires_at": "9999-12-31T23:59:59-14:00"}, "expires_at"),
        ({"expires_at": "0001-01-01T00:00:00"}, "expires_at"),
        ({"area_kind": "circle"}, "radius_m"),
        ({"area_kind": "circle", "latitude": "abc", "longitude": 7.1, "radius_m": 500}, "latitude"),
        ({"area_kind": "circle", "latitude": 43.69, "longitude": 7.12, "radius_m": 10**12}, "radius_m"),
        ({"area_kind": "neighbourhoods", "neighbourhoods": ["a"]}, "neighbourhoods"),
        ({"area_kind": "neighbourhoods", "neighbourhoods": [999999]}, "neighbourhoods"),
        ({"area_kind": "neighbourhoods"}, "neighbourhoods"),
        ({"severity": "Huge"}, "severity"),
        ({"description": ["x"]}, "description"),
    ],
)
def test_bad_input_is_a_400_by_field_and_nothing_is_sent(saint_paul: Town, fields: dict[str, Any], field: str) -> None:
    answer = create(client_for(saint_paul.mayor), **fields)
    assert answer.status_code == 400, answer.content
    assert field in answer.json(), answer.json()
    assert not RiskWarning.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    assert mayor.post("/api/v1/communes/06128/warnings", ["x"], format="json").status_code == 400
    answer = mayor.generic("POST", "/api/v1/communes/06128/warnings", "not json", content_type="application/json")
    assert answer.status_code == 400


def test_an_update_says_what_changed_and_keeps_the_rest(saint_paul: Town) -> None:
    north = NeighbourhoodFactory.create(commune=saint_paul.commune)
    first = issue(saint_paul)
    mayor = client_for(saint_paul.mayor)
    answer = mayor.post(f"/api/v1/warnings/{first.pk}/update",
                        {"area_kind": "neighbourhoods", "neighbourhoods": [north.pk]}, format="json")  # fmt: skip
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert (data["msg_type"], data["thread"], data["title"]) == ("Update", first.pk, first.title)
    assert data["area"]["neighbourhoods"] == [{"id": north.pk, "name": north.name}]
    # Not the latest row any more: a 409 naming the one to start from.
    stale = mayor.post(f"/api/v1/warnings/{first.pk}/update", {"title": "Autre"}, format="json")
    assert stale.status_code == 409 and str(data["id"]) in stale.json()["detail"]


def test_an_update_with_bad_input_or_no_change_possible(saint_paul: Town) -> None:
    first = issue(saint_paul)
    mayor = client_for(saint_paul.mayor)
    assert mayor.post(f"/api/v1/warnings/{first.pk}/update", {"level": "pink"}, format="json").status_code == 400
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    assert mayor.post(f"/api/v1/warnings/{first.pk}/update", {"expires_at": past}, format="json").status_code == 400
    assert RiskWarning.objects.count() == 1


def test_the_end_then_nothing_more(saint_paul: Town) -> None:
    first = issue(saint_paul)
    mayor = client_for(saint_paul.mayor)
    assert mayor.post(f"/api/v1/warnings/{first.pk}/end", {"text": ""}, format="json").status_code == 400
    answer = mayor.post(f"/api/v1/warnings/{first.pk}/end", {"text": "Décrue."}, format="json")
    assert answer.status_code == 201 and answer.json()["msg_type"] == "Cancel" and answer.json()["status"] == "ended"
    end_id = answer.json()["id"]
    assert mayor.post(f"/api/v1/warnings/{end_id}/end", {"text": "Encore"}, format="json").status_code == 409
    assert mayor.post(f"/api/v1/warnings/{end_id}/update", {"title": "Encore"}, format="json").status_code == 409
    assert RiskWarning.objects.filter(msg_type=MessageType.CANCEL).count() == 1


def test_another_communes_mayor_gets_403_on_a_public_warning(saint_paul: Town, charleville: Town) -> None:
    first = issue(saint_paul)
    stranger = client_for(charleville.mayor)
    assert stranger.post(f"/api/v1/warnings/{first.pk}/update", {"title": "x"}, format="json").status_code == 403
    assert stranger.post(f"/api/v1/warnings/{first.pk}/end", {"text": "x"}, format="json").status_code == 403
    assert APIClient().post(f"/api/v1/warnings/{first.pk}/end", {"text": "x"}, format="json").status_code == 401


# --- Delegates and rules -------------------------------------------------------------------------------------


def test_the_mayor_names_and_revokes_delegates(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    path = "/api/v1/communes/06128/warning-delegates"
    granted = mayor.post(path, {"user": saint_paul.referent.pk}, format="json")
    assert granted.status_code == 201
    assert granted.json()["user"] == {"id": saint_paul.referent.pk, "display_name": saint_paul.referent.display_name}
    assert mayor.post(path, {"user": saint_paul.referent.pk}, format="json").status_code == 409
    assert mayor.post(path, {"user": saint_paul.resident.pk}, format="json").status_code == 400
    assert mayor.post(path, {"user": 999999}, format="json").status_code == 400
    assert mayor.post(path, {"user": "x"}, format="json").status_code == 400
    assert [d["user"]["id"] for d in mayor.get(path).json()["results"]] == [saint_paul.referent.pk]
    assert client_for(saint_paul.referent).delete(f"{path}/{saint_paul.referent.pk}").status_code == 403
    assert mayor.delete(f"{path}/{saint_paul.referent.pk}").status_code == 204
    assert mayor.delete(f"{path}/{saint_paul.referent.pk}").status_code == 404
    assert not WarningDelegate.objects.exists()


def test_the_policy_is_read_by_moderators_and_set_by_mayors(saint_paul: Town) -> None:
    path = "/api/v1/communes/06128/risk-policy"
    assert client_for(saint_paul.referent).get(path).json() == {"relay_red_automatically": False}
    assert client_for(saint_paul.referent).patch(path, {"relay_red_automatically": True}, format="json").status_code == 403
    assert client_for(saint_paul.mayor).patch(path, {"relay_red_automatically": "perhaps"}, format="json").status_code == 400
    answer = client_for(saint_paul.mayor).patch(path, {"relay_red_automatically": True}, format="json")
    assert answer.status_code == 200 and answer.json() == {"relay_red_automatically": True}


# --- Vigilance -----------------------------------------------------------------------------------------------


def test_the_mayor_relays_or_dismisses_a_rise_from_the_phone(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    first, second = change(saint_paul, Level.ORANGE, area_code="A"), change(saint_paul, Level.RED, area_code="B")
    listed = mayor.get("/api/v1/communes/06128/vigilance?open=true").json()["results"]
    assert {row["id"] for row in listed} == {first.pk, second.pk}
    relayed = mayor.post(f"/api/v1/vigilance/{first.pk}/relay", {"title": "Le Loup monte"}, format="json")
    assert relayed.status_code == 201 and relayed.json()["title"] == "Le Loup monte" and relayed.json()["origin"] == "vigilance"
    assert mayor.post(f"/api/v1/vigilance/{first.pk}/dismiss").status_code == 409
    dismissed = mayor.post(f"/api/v1/vigilance/{second.pk}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["decision"]["outcome"] == "dismissed"
    assert mayor.get("/api/v1/communes/06128/vigilance?open=true").json()["count"] == 0
    assert mayor.get("/api/v1/communes/06128/vigilance").json()["count"] == 2


def test_vigilance_is_for_the_communes_moderators(saint_paul: Town, charleville: Town) -> None:
    rise = change(saint_paul, Level.ORANGE)
    assert client_for(saint_paul.resident).get("/api/v1/communes/06128/vigilance").status_code == 403
    assert client_for(saint_paul.resident).post(f"/api/v1/vigilance/{rise.pk}/relay").status_code == 404
    assert client_for(charleville.mayor).post(f"/api/v1/vigilance/{rise.pk}/dismiss").status_code == 404
    assert client_for(saint_paul.referent).get("/api/v1/communes/06128/vigilance").status_code == 200
    assert client_for(saint_paul.referent).post(f"/api/v1/vigilance/{rise.pk}/dismiss").status_code == 403
    bad = client_for(saint_paul.mayor).post(f"/api/v1/vigilance/{rise.pk}/relay", {"level": "mauve"}, format="json")
    assert bad.status_code == 400 and not RiskWarning.objects.exists()


def test_a_lifted_vigilance_has_nothing_to_relay(saint_paul: Town) -> None:
    lifted = change(saint_paul, "", previous_level=Level.ORANGE)
    answer = client_for(saint_paul.mayor).post(f"/api/v1/vigilance/{lifted.pk}/relay")
    assert answer.status_code == 409 and not RiskWarning.objects.exists()
