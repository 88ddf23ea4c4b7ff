"""The territory page of an operator: its communes, enrolling one with its first mayor, replacing a first mayor;
and the reports' pages a mayor's delegation opens to the territory's operators."""

import pytest

from accounts.models import User
from audit.models import AuditEntry
from communes.models import Commune, Membership, ModerationDelegation, Role, TerritoryKind
from conftest import NICE_METROPOLE, Town
from desk.tests.conftest import signed_in
from tests.factories import CommuneFactory

pytestmark = pytest.mark.django_db

PAGE = "/desk/territories/departement/06/"


def antibes() -> Commune:
    return CommuneFactory.create(insee="06004", name="Antibes", departement="06", enrolled=False, enrolled_at=None)


def test_the_operator_sees_its_communes_and_reaches_them_from_the_index(operator_06: User, saint_paul: Town) -> None:
    antibes()
    client = signed_in(operator_06)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Saint-Paul-de-Vence" in text and "Antibes" in text
    assert saint_paul.mayor.display_name in text and str(saint_paul.mayor.phone) not in text
    assert PAGE in client.get("/desk/").content.decode()


def test_other_territories_and_other_people_are_refused(operator_06: User, saint_paul: Town, charleville: Town) -> None:
    assert signed_in(operator_06).get("/desk/territories/departement/08/").status_code == 403
    assert signed_in(operator_06).post("/desk/territories/departement/08/enrol/", {}).status_code == 403
    assert signed_in(operator_06).get("/desk/territories/departement/98/").status_code == 404
    assert signed_in(saint_paul.resident).get(PAGE).status_code == 403
    assert signed_in(saint_paul.mayor).get(PAGE).status_code == 403
    assert signed_in(None).get(PAGE).status_code == 302


def test_enrolling_a_commune_names_its_first_mayor(operator_06: User, saint_paul: Town) -> None:
    commune = antibes()
    response = signed_in(operator_06).post(f"{PAGE}enrol/", {"insee": "06004", "mayor_phone": "06 11 22 33 44",
                                                            "mayor_name": "Mme Martin"})  # fmt: skip
    assert response.status_code == 302
    commune.refresh_from_db()
    assert commune.enrolled
    assert Membership.objects.get(commune=commune, user__phone="+33611223344").role == Role.MAYOR
    assert set(AuditEntry.objects.filter(commune=commune).values_list("action", "actor_id")) == {
        ("commune.enrolled", operator_06.pk), ("membership.enrolled_mayor", operator_06.pk)}


def test_a_refused_enrolment_says_why_in_french_and_changes_nothing(operator_06: User, saint_paul: Town,
                                                                   charleville: Town) -> None:  # fmt: skip
    antibes()
    client = signed_in(operator_06)
    bad_phone = client.post(f"{PAGE}enrol/", {"insee": "06004", "mayor_phone": "12", "mayor_name": "Mme Martin"})
    assert bad_phone.status_code == 400 and "Rien n’a été changé" in bad_phone.content.decode()
    outside = client.post(f"{PAGE}enrol/", {"insee": "08105", "mayor_phone": "0611223344", "mayor_name": "M. X"})
    assert outside.status_code == 400
    assert "n&#x27;appartient pas à ce territoire" in outside.content.decode()
    already = client.post(f"{PAGE}enrol/", {"insee": "06128", "mayor_phone": "0611223344", "mayor_name": "M. X"})
    assert already.status_code == 400 and "remplacez plutôt son premier maire" in already.content.decode()
    assert not Commune.objects.get(insee="06004").enrolled
    assert not AuditEntry.objects.exists()


def test_replacing_a_first_mayor(operator_06: User, saint_paul: Town) -> None:
    commune, client = antibes(), signed_in(operator_06)
    client.post(f"{PAGE}enrol/", {"insee": "06004", "mayor_phone": "0611223344", "mayor_name": "Mme Martin"})
    response = client.post(f"{PAGE}first-mayor/", {"insee": "06004", "phone": "0611223355", "display_name": "M. Bernard"})
    assert response.status_code == 302
    roles = dict(Membership.objects.filter(commune=commune).values_list("user__phone", "role"))
    assert roles == {"+33611223344": Role.RESIDENT, "+33611223355": Role.MAYOR}
    refused = client.post(f"{PAGE}first-mayor/", {"insee": "06004", "phone": "", "display_name": ""})
    assert refused.status_code == 400


def test_a_delegation_opens_the_reports_pages_and_nothing_else(operator_nca: User, saint_paul: Town) -> None:
    Commune.objects.filter(pk=saint_paul.commune.pk).update(enrolled=True)
    client = signed_in(operator_nca)
    assert client.get("/desk/communes/06128/reports/").status_code == 403
    ModerationDelegation.objects.create(commune=saint_paul.commune, kind=TerritoryKind.EPCI, code=NICE_METROPOLE)
    queue = client.get("/desk/communes/06128/reports/")
    assert queue.status_code == 200
    assert "/desk/communes/06128/members/" not in queue.content.decode()  # the menu offers the reports only
    assert "/desk/communes/06128/reports/" in client.get("/desk/").content.decode()
    assert client.get("/desk/communes/06128/").status_code == 403
    assert client.get("/desk/communes/06128/members/").status_code == 403


def test_the_operator_signs_in_to_the_dashboards_too(operator_06: User, saint_paul: Town) -> None:
    """The desk's sign-in is the dashboards': an operator reads its communes' statistics there."""
    page = signed_in(operator_06).get("/dashboard/")
    assert page.status_code == 200
    assert "Saint-Paul-de-Vence" in page.content.decode()
