import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from audit.models import AuditEntry
from communes.models import GendarmeArea, Membership
from conftest import Town, client_for
from tests.factories import CommuneFactory, NeighbourhoodFactory, UserFactory


@pytest.mark.django_db
def test_a_person_asks_to_join_and_a_referent_approves(saint_paul: Town) -> None:
    newcomer = UserFactory.create()
    quartier = NeighbourhoodFactory.create(commune=saint_paul.commune)
    response = client_for(newcomer).post("/api/v1/communes/06128/memberships",
                                         {"address": "5 chemin des Oliviers", "neighbourhood": quartier.pk})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    membership_id = response.json()["id"]
    listed = client_for(saint_paul.referent).get("/api/v1/communes/06128/memberships?status=pending").json()
    assert membership_id in [m["id"] for m in listed["results"]]
    assert "phone" not in listed["results"][0]
    assert client_for(saint_paul.referent).post(f"/api/v1/memberships/{membership_id}/approve").status_code == 200
    mine = client_for(newcomer).get("/api/v1/me/memberships").json()["results"]
    assert mine[0]["status"] == "approved"
    assert mine[0]["commune"]["insee"] == "06128"
    assert AuditEntry.objects.filter(action="membership.approved", object_id=str(membership_id)).exists()


@pytest.mark.django_db
def test_a_rejection_carries_its_reason_to_the_applicant(saint_paul: Town) -> None:
    membership = Membership.objects.get(user=saint_paul.applicant)
    client_for(saint_paul.mayor).post(f"/api/v1/memberships/{membership.pk}/reject", {"reason": "Adresse inconnue"})
    mine = client_for(saint_paul.applicant).get("/api/v1/me/memberships").json()["results"][0]
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", "Adresse inconnue")
    assert client_for(saint_paul.mayor).post(f"/api/v1/memberships/{membership.pk}/reject", {}).status_code == 400


@pytest.mark.django_db
def test_joining_a_commune_not_enrolled_is_a_clear_400(saint_paul: Town) -> None:
    CommuneFactory.create(insee="06044", name="Colle-sur-Loup", enrolled=False)
    response = client_for(saint_paul.resident).post("/api/v1/communes/06044/memberships", {"address": "1 rue"})
    assert response.status_code == 400
    assert "commune" in response.json()


@pytest.mark.django_db
def test_a_neighbourhood_of_another_commune_is_refused(saint_paul: Town, charleville: Town) -> None:
    other = NeighbourhoodFactory.create(commune=charleville.commune)
    response = client_for(UserFactory.create()).post("/api/v1/communes/06128/memberships",
                                                     {"address": "1", "neighbourhood": other.pk})  # fmt: skip
    assert response.status_code == 400
    assert "neighbourhood" in response.json()


@pytest.mark.django_db
def test_a_rejected_person_may_ask_again_but_not_twice(saint_paul: Town) -> None:
    client = client_for(saint_paul.applicant)
    assert client.post("/api/v1/communes/06128/memberships", {"address": "1"}).status_code == 409
    Membership.objects.filter(user=saint_paul.applicant).update(status="rejected")
    assert client.post("/api/v1/communes/06128/memberships", {"address": "2"}).status_code == 201


@pytest.mark.django_db
def test_the_mayor_promotes_and_demotes_but_never_the_last_mayor(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    resident = Membership.objects.get(user=saint_paul.resident)
    assert mayor.patch(f"/api/v1/memberships/{resident.pk}", {"role": "mayor"}).json()["role"] == "mayor"
    own = Membership.objects.get(user=saint_paul.mayor)
    assert mayor.patch(f"/api/v1/memberships/{own.pk}", {"role": "resident"}).status_code == 200
    last = client_for(saint_paul.resident).patch(f"/api/v1/memberships/{resident.pk}", {"role": "referent"})
    assert last.status_code == 409
    assert Membership.objects.get(pk=resident.pk).role == "mayor"
    assert AuditEntry.objects.filter(action="membership.role_changed").count() == 2


@pytest.mark.django_db
def test_a_referent_cannot_change_roles(saint_paul: Town) -> None:
    resident = Membership.objects.get(user=saint_paul.resident)
    assert client_for(saint_paul.referent).patch(f"/api/v1/memberships/{resident.pk}", {"role": "mayor"}).status_code == 403
    assert client_for(saint_paul.mayor).patch(f"/api/v1/memberships/{resident.pk}", {"role": "king"}).status_code == 400


@pytest.mark.django_db
def test_a_member_leaves_but_the_last_mayor_cannot(saint_paul: Town) -> None:
    resident = Membership.objects.get(user=saint_paul.resident)
    assert client_for(saint_paul.resident).delete(f"/api/v1/memberships/{resident.pk}").status_code == 204
    mayor = Membership.objects.get(user=saint_paul.mayor)
    assert client_for(saint_paul.mayor).delete(f"/api/v1/memberships/{mayor.pk}").status_code == 409


@pytest.mark.django_db
def test_the_mayor_creates_neighbourhoods_with_unique_names(saint_paul: Town) -> None:
    mayor = client_for(saint_paul.mayor)
    created = mayor.post("/api/v1/communes/06128/neighbourhoods", {"name": "Les Remparts", "latitude": 43.69, "longitude": 7.12,
                                                                   "radius_m": 400})  # fmt: skip
    assert created.status_code == 201
    assert mayor.post("/api/v1/communes/06128/neighbourhoods", {"name": "les remparts"}).status_code == 400
    assert mayor.post("/api/v1/communes/06128/neighbourhoods", {"name": "X", "latitude": 43.6}).status_code == 400
    assert [n["name"] for n in mayor.get("/api/v1/communes/06128/neighbourhoods").json()] == ["Les Remparts"]


@pytest.mark.django_db
def test_the_audit_log_is_append_only(saint_paul: Town) -> None:
    membership = Membership.objects.get(user=saint_paul.applicant)
    client_for(saint_paul.mayor).post(f"/api/v1/memberships/{membership.pk}/approve")
    entry = AuditEntry.objects.get()
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    log = client_for(saint_paul.mayor).get("/api/v1/communes/06128/audit").json()["results"]
    assert log[0]["action"] == "membership.approved"
    assert log[0]["before"]["status"] == "pending" and log[0]["after"]["status"] == "approved"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_to_rewrite_the_audit_log(saint_paul: Town) -> None:
    membership = Membership.objects.get(user=saint_paul.applicant)
    client_for(saint_paul.mayor).post(f"/api/v1/memberships/{membership.pk}/approve")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().update(action="forged")


@pytest.mark.django_db
def test_the_commands_enrol_a_commune_and_create_gendarmes() -> None:
    CommuneFactory.create(insee="06128", name="Saint-Paul-de-Vence", departement="06", enrolled=False)
    call_command("enroll_commune", "06128", "--mayor", "06 11 22 33 44")
    membership = Membership.objects.get(commune__insee="06128")
    assert (membership.role, membership.status, membership.commune.enrolled) == ("mayor", "approved", True)
    call_command("create_gendarme", "0611223355", "--departement", "06")
    call_command("create_gendarme", "0611223356", "--communes", "06128")
    assert GendarmeArea.objects.get(user__phone="+33611223355").departement == "06"
    assert list(GendarmeArea.objects.get(user__phone="+33611223356").communes.values_list("insee", flat=True)) == ["06128"]
