"""POST /warnings (several communes), its preview, the group's update and end, and the partnerships' API: who may,
bad input, what is written."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from communes.models import Commune
from conftest import NICE_METROPOLE, Town, client_for
from notifications.models import Audience, Message, MessageSource
from risks.models import AreaWarning, MessageType, RiskWarning, WarningPartnership

pytestmark = pytest.mark.django_db

API = "/api/v1"




def body(**fields: Any) -> dict[str, Any]:
    return {"hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde.",
            "expires_at": (timezone.now() + timedelta(hours=8)).isoformat(), **fields}  # fmt: skip


def post(user: User | None, path: str, data: dict[str, Any]) -> Any:
    return client_for(user).post(API + path, data, format="json")


def nothing_written() -> bool:
    return not (AreaWarning.objects.exists() or RiskWarning.objects.exists() or Message.objects.exists()
                or AuditEntry.objects.filter(action__startswith="warning").exists())  # fmt: skip


def test_an_epci_operator_warns_three_communes_once(saint_paul: Town, vence: Town, cagnes: Town,
                                                    operator_nca: User) -> None:  # fmt: skip
    Commune.objects.filter(pk__in=[vence.commune.pk, cagnes.commune.pk]).update(epci_siren=NICE_METROPOLE)
    answer = post(operator_nca, "/warnings", body(communes=["06128", "06157", "06027"]))
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["communes"] == ["06027", "06128", "06157"] and len(data["warnings"]) == 3
    assert {w["insee"] for w in data["warnings"]} == {"06027", "06128", "06157"}
    assert {w["identifier"] for w in data["warnings"]} == {str(r.identifier) for r in RiskWarning.objects.all()}
    message = Message.objects.get(pk=data["message"])
    assert message.audience == Audience.PUBLIC and len(message.commune_ids or []) == 3
    # 3 × (mayor, referent, two residents), the operator excluded as the author.
    assert data["reach"]["people"] == 12 and data["notification_tag"] == f"area-warning-{data['id']}"
    assert Message.objects.filter(source_type=MessageSource.WARNING_NOTICE).count() == 3
    # Each commune lists it, marked as sent by the territory.
    listed = client_for(None).get(f"{API}/communes/06157/warnings").json()["results"]
    assert [(w["id"], w["group"]["id"]) for w in listed] == [(next(w["id"] for w in data["warnings"]
                                                                   if w["insee"] == "06157"), data["id"])]  # fmt: skip
    assert listed[0]["group"]["sender"] == AreaWarning.objects.get().sender != ""
    assert client_for(None).get(f"{API}/warning-groups/{data['id']}").json()["communes"] == data["communes"]


def test_a_radius_takes_the_communes_the_caller_may_warn(saint_paul: Town, vence: Town, cagnes: Town,
                                                         charleville: Town, operator_06: User) -> None:  # fmt: skip
    near = {"center": {"latitude": 43.69687, "longitude": 7.12212}, "radius_km": 3}
    preview = post(operator_06, "/warnings/preview", body(**near))
    assert preview.status_code == 200 and preview.json()["communes"] == ["06027", "06128", "06157"]
    assert preview.json()["reach"]["people"] == 12 and nothing_written()
    answer = post(operator_06, "/warnings", body(**near))
    assert answer.status_code == 201 and answer.json()["communes"] == ["06027", "06128", "06157"]
    assert (answer.json()["radius_km"], answer.json()["center_latitude"]) == (3, 43.69687)
    # Nothing the caller may warn within it: a field error.
    far = post(operator_06, "/warnings", body(center={"latitude": 49.77, "longitude": 4.72}, radius_km=5))
    assert far.status_code == 400 and "radius_km" in far.json()


@pytest.mark.parametrize("data, field", [
    ({"communes": []}, "communes"),
    ({"communes": ["99999"]}, "communes"),
    ({"communes": ["06128"], "center": {"latitude": 43.7, "longitude": 7.1}, "radius_km": 5}, "communes"),
    ({}, "communes"),
    ({"center": {"latitude": 43.7, "longitude": 7.1}, "radius_km": 51}, "radius_km"),
    ({"center": {"latitude": 43.7, "longitude": 7.1}}, "radius_km"),
    ({"radius_km": 5}, "center"),
    ({"center": {"latitude": 91, "longitude": 7.1}, "radius_km": 5}, "center"),
    ({"communes": ["06128"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"communes": ["06128"], "level": "violet"}, "level"),
    ({"communes": "06128"}, "communes"),
    ({"communes": [6128, None]}, "communes"),
    ({"communes": [{"insee": "06128"}]}, "communes"),
    ({"center": "43.7,7.1", "radius_km": "abc"}, "center"),
    ({"center": {"latitude": "nord", "longitude": 7.1}, "radius_km": 1e308}, "radius_km"),
    ({"communes": ["06128"], "title": ""}, "title"),
])  # fmt: skip
def test_bad_input_is_a_field_error_and_writes_nothing(saint_paul: Town, operator_06: User, data: dict[str, Any],
                                                       field: str) -> None:  # fmt: skip
    answer = post(operator_06, "/warnings", body(**data))
    assert answer.status_code == 400 and field in answer.json(), answer.json()
    assert nothing_written()


def test_who_may_send(saint_paul: Town, vence: Town, charleville: Town, operator_06: User, operator_nca: User,
                      gendarme_06: User, staff: User) -> None:  # fmt: skip
    both = body(communes=["06128", "06157"])
    for user, code in [(None, 401), (saint_paul.resident, 403), (saint_paul.referent, 403), (gendarme_06, 403),
                       (saint_paul.mayor, 403), (operator_nca, 403)]:  # fmt: skip
        assert post(user, "/warnings", both).status_code == code
    refused = post(operator_06, "/warnings", body(communes=["06128", "08105"]))
    assert refused.status_code == 403 and "08105" in refused.json()["detail"] and "06128" not in refused.json()["detail"]
    assert nothing_written()
    # Vence's mayor agrees: Saint-Paul's mayor may now include Vence (not the other way round).
    granted = post(vence.mayor, "/communes/06157/warning-partners", {"insee": "06128"})
    assert granted.status_code == 201 and granted.json()["insee"] == "06128"
    assert post(saint_paul.mayor, "/warnings", both).status_code == 201
    assert post(vence.mayor, "/warnings", both).status_code == 403
    assert post(staff, "/warnings", body(communes=["06128", "08105"])).status_code == 201


def test_update_and_end_of_the_whole_group(saint_paul: Town, vence: Town, operator_06: User,
                                           operator_nca: User) -> None:  # fmt: skip
    group = post(operator_06, "/warnings", body(communes=["06128", "06157"])).json()
    # The EPCI operator may warn Saint-Paul but not Vence: not the group.
    assert post(operator_nca, f"/warning-groups/{group['id']}/update", {"level": "red"}).status_code == 403
    assert post(saint_paul.resident, f"/warning-groups/{group['id']}/end", {"text": "Fin."}).status_code == 403
    bad = post(operator_06, f"/warning-groups/{group['id']}/update", {"area_kind": "circle"})
    assert bad.status_code == 400 and "area_kind" in bad.json()
    update = post(operator_06, f"/warning-groups/{group['id']}/update", {"level": "red"})
    assert update.status_code == 201 and update.json()["id"] == group["id"]
    assert {r.msg_type for r in RiskWarning.objects.filter(pk__in=[w["id"] for w in update.json()["warnings"]])} == {
        MessageType.UPDATE}
    assert Message.objects.get(pk=update.json()["message"]).replaces_id == group["message"]
    # A commune's row alone: 409, the group is updated as a whole.
    alone = post(saint_paul.mayor, f"/warnings/{update.json()['warnings'][0]['id']}/update", {"level": "yellow"})
    assert alone.status_code == 409
    assert post(operator_06, f"/warning-groups/{group['id']}/end", {"text": ""}).status_code == 400
    end = post(operator_06, f"/warning-groups/{group['id']}/end", {"text": "Décrue."})
    assert end.status_code == 201
    assert post(operator_06, f"/warning-groups/{group['id']}/end", {"text": "Encore."}).status_code == 409
    assert post(operator_06, "/warning-groups/999999/end", {"text": "x"}).status_code == 404


def test_partnerships(saint_paul: Town, vence: Town, operator_06: User, staff: User) -> None:
    path = "/communes/06157/warning-partners"
    for user, code in [(None, 401), (vence.referent, 403), (saint_paul.mayor, 403), (operator_06, 403)]:
        assert post(user, path, {"insee": "06128"}).status_code == code
        assert client_for(user).get(API + path).status_code == code
    assert post(vence.mayor, path, {"insee": "99999"}).status_code == 400
    assert post(vence.mayor, path, {"insee": "06157"}).status_code == 400
    assert post(vence.mayor, path, {"insee": "06128"}).status_code == 201
    assert post(staff, path, {"insee": "06128"}).status_code == 409
    assert [p["insee"] for p in client_for(vence.mayor).get(API + path).json()] == ["06128"]
    entry = AuditEntry.objects.get(action="warning_partnership.granted")
    assert (entry.commune_id, entry.actor_id, entry.after) == (vence.commune.pk, vence.mayor.pk, {"partner": "06128"})
    assert client_for(saint_paul.mayor).delete(f"{API}{path}/06128").status_code == 403
    assert client_for(vence.mayor).delete(f"{API}{path}/06128").status_code == 204
    assert client_for(vence.mayor).delete(f"{API}{path}/06128").status_code == 404
    assert not WarningPartnership.objects.exists()
    assert AuditEntry.objects.filter(action="warning_partnership.revoked", commune=vence.commune).count() == 1
