"""Territories' operators through the API: their territories, enrolling a commune with its first mayor,
replacing that mayor, reading a commune's journal, and the mayor's delegation of the reports' moderation."""

from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from alerts.models import Alert
from audit.models import AuditEntry
from communes.models import Commune, Follow, Membership, ModerationDelegation, Role, TerritoryKind, TerritoryOperator
from conftest import NICE_METROPOLE, Town, client_for
from tests.factories import CommuneFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_MAYOR = "+33611223344"


def unenrolled(insee: str, name: str, departement: str = "06", **fields: Any) -> Commune:
    return CommuneFactory.create(insee=insee, name=name, departement=departement, enrolled=False, enrolled_at=None,
                                 **fields)  # fmt: skip


def enrol(operator: User, insee: str, phone: str = NEW_MAYOR, path: str = "departement/06") -> Any:
    body = {"insee": insee, "mayor_phone": phone, "mayor_name": "Mme Martin"}
    return client_for(operator).post(f"/api/v1/territories/{path}/communes", body, format="json")


def test_it_lists_the_operated_territories_and_names_them_in_me(operator_nca: User, saint_paul: Town) -> None:
    unenrolled("06088", "Nice", epci_siren=NICE_METROPOLE, epci_name="Métropole Nice Côte d'Azur")
    client = client_for(operator_nca)
    assert client.get("/api/v1/territories").json() == [
        {"kind": "epci", "code": NICE_METROPOLE, "name": "Métropole Nice Côte d'Azur", "communes": 2, "enrolled": 1}
    ]
    assert client.get("/api/v1/me").json()["territories"] == [
        {"kind": "epci", "code": NICE_METROPOLE, "name": "Métropole Nice Côte d'Azur"}
    ]
    assert client_for(saint_paul.mayor).get("/api/v1/territories").json() == []
    assert client_for(saint_paul.mayor).get("/api/v1/me").json()["territories"] == []


def test_me_reads_the_territories_in_one_query_and_two_for_an_operator(operator_nca: User, saint_paul: Town,
                                                                       django_assert_num_queries: Any) -> None:  # fmt: skip
    from accounts.serializers import me_representation

    with django_assert_num_queries(1):  # almost everyone: one prepared EXISTS
        assert me_representation(saint_paul.mayor)["territories"] == []
    with django_assert_num_queries(2):
        assert [t["code"] for t in me_representation(operator_nca)["territories"]] == [NICE_METROPOLE]


def test_it_shows_the_territory_communes_without_phone_numbers(operator_06: User, saint_paul: Town,
                                                              charleville: Town) -> None:  # fmt: skip
    Follow.objects.create(user=UserFactory.create(), commune=saint_paul.commune)
    Follow.objects.create(user=UserFactory.create(), commune=saint_paul.commune, stopped_at=timezone.now())
    response = client_for(operator_06).get("/api/v1/territories/departement/06")
    assert response.status_code == 200
    row = next(c for c in response.json()["communes"] if c["insee"] == "06128")
    assert (row["enrolled"], row["members"], row["followers"]) == (True, 4, 1)
    assert row["mayors"] == [{"user": saint_paul.mayor.pk, "display_name": saint_paul.mayor.display_name}]
    assert "08105" not in response.content.decode()
    assert str(saint_paul.mayor.phone) not in response.content.decode()


def test_it_refuses_other_territories(operator_06: User, saint_paul: Town, charleville: Town) -> None:
    assert client_for(operator_06).get("/api/v1/territories/departement/08").status_code == 403
    assert client_for(operator_06).get("/api/v1/territories/departement/98").status_code == 404
    assert client_for(saint_paul.mayor).get("/api/v1/territories/departement/06").status_code == 403
    assert client_for(None).get("/api/v1/territories/departement/06").status_code == 401
    assert enrol(operator_06, "08105", path="departement/08").status_code == 403


def test_an_operator_enrols_a_commune_and_names_its_first_mayor(operator_06: User, saint_paul: Town) -> None:
    commune = unenrolled("06010", "Antibes")
    response = enrol(operator_06, "06010")
    assert response.status_code == 201, response.content
    assert response.json()["enrolled"] is True
    assert response.json()["mayors"][0]["display_name"] == "Mme Martin"
    commune.refresh_from_db()
    assert commune.enrolled and commune.enrolled_at is not None
    mayor = Membership.objects.get(commune=commune, user__phone=NEW_MAYOR)
    assert (mayor.role, mayor.status, mayor.decided_by_id) == (Role.MAYOR, "approved", operator_06.pk)
    journal = AuditEntry.objects.filter(commune=commune).order_by("id")
    assert [(e.action, e.actor_id) for e in journal] == [("commune.enrolled", operator_06.pk),
                                                         ("membership.enrolled_mayor", operator_06.pk)]  # fmt: skip
    assert NEW_MAYOR not in str([(e.before, e.after) for e in journal])
    assert enrol(operator_06, "06010", phone="+33611223355").status_code == 409  # replaced, never enrolled again


def test_enrolling_refuses_bad_input_and_writes_nothing(operator_06: User, saint_paul: Town, charleville: Town) -> None:
    unenrolled("06010", "Antibes")
    outside = enrol(operator_06, "08105")
    assert outside.status_code == 400 and "insee" in outside.json()
    bad_phone = enrol(operator_06, "06010", phone="12")
    assert bad_phone.status_code == 400 and "mayor_phone" in bad_phone.json()
    assert not Commune.objects.get(insee="06010").enrolled
    assert not AuditEntry.objects.filter(commune__insee__in=["06010", "08105"]).exists()


def test_replacing_the_first_mayor_makes_the_previous_one_a_resident(operator_06: User, saint_paul: Town) -> None:
    commune = unenrolled("06010", "Antibes")
    enrol(operator_06, "06010")
    response = client_for(operator_06).put("/api/v1/communes/06010/first-mayor",
                                           {"phone": "06 11 22 33 55", "display_name": "M. Bernard"}, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert [m["display_name"] for m in response.json()["mayors"]] == ["M. Bernard"]
    roles = dict(Membership.objects.filter(commune=commune).values_list("user__phone", "role"))
    assert roles == {NEW_MAYOR: Role.RESIDENT, "+33611223355": Role.MAYOR}
    actions = list(AuditEntry.objects.filter(commune=commune, actor_id=operator_06.pk).values_list("action", flat=True))
    assert "membership.first_mayor_named" in actions and "membership.role_changed" in actions


def test_replacing_a_mayor_the_commune_named_keeps_them(operator_06: User, saint_paul: Town) -> None:
    """Only the mayor named by enrolment loses the role; the commune's own mayors are the mayors' business."""
    response = client_for(operator_06).put("/api/v1/communes/06128/first-mayor",
                                           {"phone": NEW_MAYOR, "display_name": "M. Bernard"}, format="json")  # fmt: skip
    assert response.status_code == 200
    assert Membership.objects.get(user=saint_paul.mayor, commune=saint_paul.commune).role == Role.MAYOR


def test_first_mayor_is_for_the_territory_operators_and_staff(operator_06: User, saint_paul: Town, charleville: Town,
                                                              staff: User) -> None:  # fmt: skip
    body = {"phone": NEW_MAYOR, "display_name": "M. Bernard"}
    assert client_for(operator_06).put("/api/v1/communes/08105/first-mayor", body, format="json").status_code == 403
    assert client_for(saint_paul.mayor).put("/api/v1/communes/06128/first-mayor", body, format="json").status_code == 403
    bad = client_for(staff).put("/api/v1/communes/08105/first-mayor", {"phone": "x", "display_name": ""}, format="json")
    assert bad.status_code == 400 and {"phone", "display_name"} <= set(bad.json())
    assert client_for(staff).put("/api/v1/communes/08105/first-mayor", body, format="json").status_code == 200


def test_operators_read_the_journal_of_their_communes_only(operator_nca: User, saint_paul: Town, charleville: Town) -> None:
    assert client_for(operator_nca).get("/api/v1/communes/06128/audit").status_code == 200
    assert client_for(operator_nca).get("/api/v1/communes/08105/audit").status_code == 403


def pending_report(town: Town) -> Alert:
    return Alert.objects.create(commune=town.commune, category="vol", description="Vol de vélo", status="pending",
                                occurred_at=timezone.now(), reporter=town.resident)  # fmt: skip


def test_a_delegation_lets_the_territory_moderate_reports(operator_nca: User, saint_paul: Town) -> None:
    alert, operator = pending_report(saint_paul), client_for(operator_nca)
    assert operator.post(f"/api/v1/alerts/{alert.pk}/approve").status_code == 404  # not delegated: not even seen
    mayor = client_for(saint_paul.mayor)
    granted = mayor.post("/api/v1/communes/06128/moderation-delegation", {"territory": f"epci-{NICE_METROPOLE}"}, format="json")
    assert granted.status_code == 201, granted.content
    assert operator.get("/api/v1/communes/06128/moderation-delegation").json()["territory"] == f"epci-{NICE_METROPOLE}"
    assert [a["id"] for a in operator.get("/api/v1/alerts?status=pending").json()["results"]] == [alert.pk]
    assert operator.post(f"/api/v1/alerts/{alert.pk}/approve").status_code == 200
    assert AuditEntry.objects.filter(commune=saint_paul.commune, action="moderation.delegated",
                                     actor_id=saint_paul.mayor.pk).exists()  # fmt: skip
    assert mayor.delete("/api/v1/communes/06128/moderation-delegation").status_code == 204
    assert operator.post(f"/api/v1/alerts/{pending_report(saint_paul).pk}/approve").status_code == 404


def test_a_delegation_grants_moderation_and_nothing_else(operator_06: User, saint_paul: Town) -> None:
    ModerationDelegation.objects.create(commune=saint_paul.commune, kind=TerritoryKind.DEPARTEMENT, code="06")
    operator = client_for(operator_06)
    applicant = Membership.objects.get(user=saint_paul.applicant)
    assert operator.post(f"/api/v1/memberships/{applicant.pk}/approve").status_code == 404
    assert operator.get("/api/v1/communes/06128/memberships").status_code == 403
    assert operator.post("/api/v1/communes/06128/moderation-delegation", {"territory": "departement-06"},
                         format="json").status_code == 403  # fmt: skip
    assert operator.delete("/api/v1/communes/06128/moderation-delegation").status_code == 403


def test_an_operator_of_another_territory_gets_no_delegated_moderation(saint_paul: Town) -> None:
    ModerationDelegation.objects.create(commune=saint_paul.commune, kind=TerritoryKind.DEPARTEMENT, code="06")
    other = UserFactory.create()
    TerritoryOperator.objects.create(user=other, kind=TerritoryKind.DEPARTEMENT, code="08")
    assert client_for(other).post(f"/api/v1/alerts/{pending_report(saint_paul).pk}/approve").status_code == 404
    assert client_for(other).get("/api/v1/communes/06128/moderation-delegation").status_code == 403


def test_a_delegation_names_one_of_the_commune_territories(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    for territory in ["departement-08", "epci-123", "x"]:
        response = mayor.post("/api/v1/communes/06128/moderation-delegation", {"territory": territory}, format="json")
        assert response.status_code == 400 and "territory" in response.json(), territory
    assert not ModerationDelegation.objects.exists()
    assert mayor.get("/api/v1/communes/06128/moderation-delegation").json() == {"territory": None}
    assert mayor.delete("/api/v1/communes/06128/moderation-delegation").status_code == 404
