"""What a report's answer and an alert's view disclose, and what erasure and anonymisation leave behind."""

import importlib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.utils import timezone

from alerts.models import Alert, Confirmation
from alerts.tasks import anonymise_old_reports
from conftest import Town, client_for

HOUSE = {"latitude": 43.696912, "longitude": 7.122134, "address": "8 route de Vence"}
NEAR = {"latitude": 43.6975, "longitude": 7.1221}  # ~65 m away
SECRET = "Camionnette grise, plaque AB-123-CD, garée devant chez les Martin"


def pending_report(town: Town, report) -> dict[str, Any]:
    response = report(who=town.resident, description=SECRET, **HOUSE)
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def assert_withholds(body: dict[str, Any]) -> None:
    text = str(body)
    for private in (SECRET, str(HOUSE["address"]), str(HOUSE["latitude"]), "43.697", "7.122"):
        assert private not in text, private


# --- M1: a confirmation never shows a report the caller may not read ---------------------------------


@pytest.mark.django_db
def test_confirming_a_pending_report_does_not_reveal_it_to_a_resident(saint_paul: Town, report) -> None:
    first = pending_report(saint_paul, report)
    answer = report(who=saint_paul.resident2, description="Moi aussi, une camionnette", **NEAR)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["confirmation"], body["withheld"], body["id"], body["status"]) == (True, True, first["id"], "pending")
    assert (body["description"], body["address"], body["latitude"], body["longitude"]) == (None, None, None, None)
    assert body["occurred_at"] is None and body["created_at"] is None
    assert_withholds(body)
    assert Confirmation.objects.get().reporter == saint_paul.resident2
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{first['id']}").status_code == 404


@pytest.mark.django_db
def test_once_approved_the_confirmation_answer_is_the_residents_view(saint_paul: Town, report) -> None:
    first = pending_report(saint_paul, report)
    client_for(saint_paul.referent).post(f"/api/v1/alerts/{first['id']}/approve")
    body = report(who=saint_paul.resident2, description="Moi aussi, une camionnette", **NEAR).json()
    assert (body["confirmation"], body["withheld"], body["description"]) == (True, False, SECRET)
    assert (body["latitude"], body["longitude"], body["address"]) == (43.697, 7.122, None)
    assert "reporter" not in body and "confirmations" not in body


@pytest.mark.django_db
def test_a_moderator_confirming_sees_the_pending_report_in_full(saint_paul: Town, report) -> None:
    first = pending_report(saint_paul, report)
    body = report(who=saint_paul.referent, description="Vue aussi, rue des Remparts", **NEAR).json()
    assert (body["confirmation"], body["withheld"], body["id"]) == (True, False, first["id"])
    assert (body["description"], body["address"], body["latitude"]) == (SECRET, HOUSE["address"], HOUSE["latitude"])
    assert body["reporter"]["id"] == saint_paul.resident.pk


@pytest.mark.django_db
def test_the_reporter_confirming_their_own_pending_report_sees_it(saint_paul: Town, report) -> None:
    first = pending_report(saint_paul, report)
    body = report(who=saint_paul.resident, description="Elle est revenue", **NEAR).json()
    assert (body["confirmation"], body["withheld"], body["id"], body["description"]) == (True, False, first["id"], SECRET)


# --- L4: the typed address is for moderators ---------------------------------------------------------


@pytest.mark.django_db
def test_residents_never_see_the_typed_address_moderators_do(saint_paul: Town, report) -> None:
    alert_id = pending_report(saint_paul, report)["id"]
    client_for(saint_paul.mayor).post(f"/api/v1/alerts/{alert_id}/approve")
    neighbour = client_for(saint_paul.resident2)
    assert neighbour.get(f"/api/v1/alerts/{alert_id}").json()["address"] is None
    assert neighbour.get("/api/v1/alerts").json()["results"][0]["address"] is None
    assert HOUSE["address"] not in neighbour.get("/api/v1/alerts").content.decode()
    assert client_for(saint_paul.referent).get(f"/api/v1/alerts/{alert_id}").json()["address"] == HOUSE["address"]
    # What one typed oneself is not withheld from oneself.
    assert client_for(saint_paul.resident).get(f"/api/v1/alerts/{alert_id}").json()["address"] == HOUSE["address"]


@pytest.mark.django_db
def test_the_export_still_holds_my_own_address_and_position(saint_paul: Town, report) -> None:
    pending_report(saint_paul, report)
    report(who=saint_paul.resident2, description="Moi aussi, une camionnette", **NEAR)
    mine = client_for(saint_paul.resident).get("/api/v1/me/export").json()["alerts"]
    assert mine["reports"][0]["address"] == HOUSE["address"]
    assert (mine["reports"][0]["latitude"], mine["reports"][0]["longitude"]) == (HOUSE["latitude"], HOUSE["longitude"])
    confirmer = client_for(saint_paul.resident2).get("/api/v1/me/export").json()["alerts"]
    assert confirmer["confirmations"][0]["description"] == "Moi aussi, une camionnette"


@pytest.mark.django_db
def test_erasure_keeps_my_reports_without_address_and_with_rounded_positions(saint_paul: Town, report) -> None:
    alert_id = pending_report(saint_paul, report)["id"]
    report(who=saint_paul.resident2, description="Moi aussi, une camionnette", latitude=43.697512, longitude=7.122087)
    assert client_for(saint_paul.resident2).delete("/api/v1/me").status_code == 204
    confirmation = Confirmation.objects.get()
    assert (confirmation.reporter, confirmation.latitude, confirmation.longitude) == (None, 43.698, 7.122)
    assert client_for(saint_paul.resident).delete("/api/v1/me").status_code == 204
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.reporter, alert.address, alert.latitude, alert.longitude) == (None, "", 43.697, 7.122)
    assert alert.description == SECRET  # the alert stays, for the commune's record and statistics


@pytest.mark.django_db
def test_old_reports_lose_address_and_exact_position_with_their_reporter(saint_paul: Town, report) -> None:
    alert_id = pending_report(saint_paul, report)["id"]
    report(who=saint_paul.resident2, description="Moi aussi, une camionnette", latitude=43.697512, longitude=7.122087)
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert anonymise_old_reports() == 1
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.reporter, alert.address, alert.latitude, alert.longitude) == (None, "", 43.697, 7.122)
    confirmation = Confirmation.objects.get()
    assert (confirmation.reporter, confirmation.latitude, confirmation.longitude) == (None, 43.698, 7.122)


@pytest.mark.django_db
def test_reports_anonymised_before_the_address_rule_are_cleaned_by_the_migration(saint_paul: Town, report) -> None:
    alert_id = pending_report(saint_paul, report)["id"]
    kept = report(who=saint_paul.resident2, category="vol", description="Vol de vélo", **HOUSE).json()["id"]
    Alert.objects.filter(pk=alert_id).update(reporter=None)  # erased or anonymised by an earlier version
    migration = importlib.import_module("alerts.migrations.0002_anonymised_reports_lose_their_place")
    migration.strip_place_of_anonymised_reports(django_apps, None)
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.address, alert.latitude, alert.longitude) == ("", 43.697, 7.122)
    assert Alert.objects.get(pk=kept).address == HOUSE["address"]  # still linked to its reporter: untouched
