import pytest
from django.utils.translation import override

from alerts.models import Alert, AlertStatus, CommunePolicy
from audit.models import AuditEntry
from conftest import Town, client_for
from notifications.models import Message
from tests.factories import NeighbourhoodFactory
from vigilants.categories import Category


def pending_alert(town: Town, report) -> int:
    alert_id: int = report(who=town.resident).json()["id"]
    return alert_id


@pytest.mark.django_db
def test_residents_see_an_alert_only_once_approved_and_never_who_reported(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    neighbour = client_for(saint_paul.resident2)
    assert neighbour.get(f"/api/v1/alerts/{alert_id}").status_code == 404
    assert neighbour.get("/api/v1/alerts").json()["count"] == 0
    assert client_for(saint_paul.referent).post(f"/api/v1/alerts/{alert_id}/approve").status_code == 200
    seen = neighbour.get(f"/api/v1/alerts/{alert_id}").json()
    assert seen["status"] == "approved"
    assert "reporter" not in seen and "moderated_by" not in seen
    assert str(saint_paul.resident.phone) not in str(seen) and saint_paul.resident.display_name not in str(seen)
    assert neighbour.get("/api/v1/alerts").json()["results"][0]["id"] == alert_id


@pytest.mark.django_db
def test_moderators_see_reporter_and_the_queue_oldest_first(saint_paul: Town, report) -> None:
    first = pending_alert(saint_paul, report)
    second = report(who=saint_paul.resident2, category="vol", description="Vol de vélo dans le garage").json()["id"]
    queue = client_for(saint_paul.referent).get("/api/v1/alerts?status=pending").json()["results"]
    assert [a["id"] for a in queue] == [first, second]
    assert queue[0]["reporter"]["id"] == saint_paul.resident.pk
    newest_first = client_for(saint_paul.referent).get("/api/v1/alerts").json()["results"]
    assert [a["id"] for a in newest_first] == [second, first]


@pytest.mark.django_db
def test_approval_writes_the_outbox_and_the_audit_log(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    client_for(saint_paul.mayor).post(f"/api/v1/alerts/{alert_id}/approve")
    message = Message.objects.get(source_type="alert", source_id=alert_id)
    assert message.exclude_user_id == saint_paul.resident.pk
    assert message.category == "vehicule_suspect"
    entry = AuditEntry.objects.get(action="alert.approved")
    assert entry.before is not None and entry.after is not None
    assert (entry.actor_id, entry.before["status"], entry.after["status"]) == (saint_paul.mayor.pk, "pending", "approved")
    assert client_for(saint_paul.mayor).post(f"/api/v1/alerts/{alert_id}/approve").status_code == 409
    assert Message.objects.filter(source_id=alert_id).count() == 1


@pytest.mark.django_db
def test_rejection_needs_a_reason_and_the_reporter_reads_it(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    referent = client_for(saint_paul.referent)
    assert referent.post(f"/api/v1/alerts/{alert_id}/reject", {}).status_code == 400
    assert referent.post(f"/api/v1/alerts/{alert_id}/reject", {"reason": "Pas assez précis"}).status_code == 200
    mine = client_for(saint_paul.resident).get(f"/api/v1/alerts/{alert_id}").json()
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", "Pas assez précis")
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{alert_id}").status_code == 404
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_moderators_and_the_reporter_edit_before_approval_only(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    assert client_for(saint_paul.resident).patch(f"/api/v1/alerts/{alert_id}", {"urgent": True}).status_code == 200
    edited = client_for(saint_paul.referent).patch(f"/api/v1/alerts/{alert_id}", {"description": "Camionnette grise, plaque 06"})
    assert edited.json()["description"] == "Camionnette grise, plaque 06"
    sensitive = {"description": "Deux Roumains dans une camionnette"}
    bad = client_for(saint_paul.referent).patch(f"/api/v1/alerts/{alert_id}", sensitive)
    assert bad.status_code == 400
    assert Alert.objects.get().description == "Camionnette grise, plaque 06"
    client_for(saint_paul.referent).post(f"/api/v1/alerts/{alert_id}/approve")
    assert client_for(saint_paul.resident).patch(f"/api/v1/alerts/{alert_id}", {"urgent": False}).status_code == 409
    assert AuditEntry.objects.filter(action="alert.edited").count() == 2


@pytest.mark.django_db
def test_a_resident_cannot_moderate_and_another_commune_gets_404(saint_paul: Town, charleville: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    assert client_for(saint_paul.resident2).post(f"/api/v1/alerts/{alert_id}/approve").status_code == 404
    assert client_for(saint_paul.resident).post(f"/api/v1/alerts/{alert_id}/approve").status_code == 403
    for person in (charleville.referent, charleville.mayor):
        assert client_for(person).get(f"/api/v1/alerts/{alert_id}").status_code == 404
        assert client_for(person).post(f"/api/v1/alerts/{alert_id}/approve").status_code == 404
    assert Alert.objects.get().status == AlertStatus.PENDING


@pytest.mark.django_db
def test_the_policy_publishes_a_referents_report_at_once(saint_paul: Town, report) -> None:
    mayor = client_for(saint_paul.mayor)
    assert client_for(saint_paul.referent).patch("/api/v1/communes/06128/policy", {"escalation_minutes": 10}).status_code == 403
    response = mayor.patch("/api/v1/communes/06128/policy", {"auto_approve_categories": ["vehicule_suspect"]})
    assert response.status_code == 200
    assert report(who=saint_paul.referent).json()["status"] == "approved"
    elsewhere = {"latitude": 43.70, "longitude": 7.10}
    assert report(who=saint_paul.resident, **elsewhere).json()["status"] == "pending"
    assert Message.objects.count() == 1
    assert mayor.patch("/api/v1/communes/06128/policy", {"auto_approve_categories": ["x"]}).status_code == 400
    assert CommunePolicy.objects.get().auto_approve_categories == ["vehicule_suspect"]


@pytest.mark.django_db
def test_a_mayors_broadcast_is_listed_at_once_and_goes_out(saint_paul: Town) -> None:
    quartier = NeighbourhoodFactory.create(commune=saint_paul.commune)
    body = {"title": "Démarcheurs", "body": "De faux agents des eaux passent ce matin.", "urgent": True,
            "neighbourhoods": [quartier.pk], "channels": ["push"]}  # fmt: skip
    response = client_for(saint_paul.mayor).post("/api/v1/communes/06128/broadcasts", body)
    assert response.status_code == 201
    assert response.json()["status"] == "approved" and response.json()["kind"] == "broadcast"
    listed = client_for(saint_paul.resident).get("/api/v1/alerts").json()["results"]
    assert listed[0]["title"] == "Démarcheurs"
    message = Message.objects.get()
    assert (message.kind, message.neighbourhood_ids, message.channels) == ("broadcast", [quartier.pk], ["push"])
    assert message.exclude_user_id == saint_paul.mayor.pk  # the mayor who wrote it is not sent it
    assert AuditEntry.objects.filter(action="broadcast.sent").exists()


@pytest.mark.django_db
def test_only_the_mayor_broadcasts(saint_paul: Town, charleville: Town) -> None:
    body = {"title": "Test", "body": "Message"}
    assert client_for(saint_paul.referent).post("/api/v1/communes/06128/broadcasts", body).status_code == 403
    assert client_for(charleville.mayor).post("/api/v1/communes/06128/broadcasts", body).status_code == 403
    assert client_for(saint_paul.mayor).post("/api/v1/communes/06128/broadcasts", {"title": ""}).status_code == 400
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_an_end_of_alert_follows_up_and_replaces_the_original(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    referent = client_for(saint_paul.referent)
    assert referent.post(f"/api/v1/alerts/{alert_id}/followups", {"kind": "end", "body": "Fausse alerte"}).status_code == 409
    referent.post(f"/api/v1/alerts/{alert_id}/approve")
    response = referent.post(f"/api/v1/alerts/{alert_id}/followups", {"kind": "end", "body": "Le véhicule est reparti."})
    assert response.status_code == 201
    assert response.json()["closed_at"] is not None
    assert response.json()["followups"][0]["kind"] == "end"
    original = Message.objects.get(source_id=alert_id, kind="alert")
    followup = Message.objects.get(kind="followup")
    assert followup.replaces_id == original.pk
    assert referent.post(f"/api/v1/alerts/{alert_id}/followups", {"kind": "erratum", "body": "Un livreur"}).status_code == 409


@pytest.mark.django_db
def test_the_delivery_report_is_for_moderators(saint_paul: Town, charleville: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    client_for(saint_paul.referent).post(f"/api/v1/alerts/{alert_id}/approve")
    response = client_for(saint_paul.mayor).get(f"/api/v1/alerts/{alert_id}/deliveries")
    assert response.status_code == 200
    assert set(response.json()) >= {"recipients", "push", "sms", "pending"}
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{alert_id}/deliveries").status_code == 403
    assert client_for(charleville.mayor).get(f"/api/v1/alerts/{alert_id}/deliveries").status_code == 404


@pytest.mark.django_db
def test_what_residents_receive_is_french_whatever_the_moderators_language(saint_paul: Town, report) -> None:
    alert_id = pending_alert(saint_paul, report)
    referent = client_for(saint_paul.referent)
    assert referent.post(f"/api/v1/alerts/{alert_id}/approve", HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    referent.post(f"/api/v1/alerts/{alert_id}/followups", {"kind": "end", "body": "Le véhicule est reparti."},
                  HTTP_ACCEPT_LANGUAGE="en")
    category = Alert.objects.get(pk=alert_id).category
    with override("fr"):
        french_label = str(Category(category).label)
    assert Message.objects.get(source_id=alert_id, kind="alert").title == french_label
    assert Message.objects.get(kind="followup").title == "Fin d'alerte"
