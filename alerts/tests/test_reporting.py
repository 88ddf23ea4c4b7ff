from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Alert, Confirmation
from conftest import Town, client_for
from tests.factories import CommuneFactory, NeighbourhoodFactory, UserFactory

INSIDE = {"latitude": 43.6969, "longitude": 7.1221}


@pytest.mark.django_db
def test_a_member_reports_and_it_waits_for_moderation(saint_paul: Town, report) -> None:
    response = report(**INSIDE, urgent=True, address="Place de la Fontaine")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["commune"], body["urgent"], body["mine"]) == ("pending", "06128", True, True)
    assert Alert.objects.get().reporter == saint_paul.resident


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"category": "meurtre"}, "category"),
        ({"description": ""}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"latitude": 48.85, "longitude": 2.35}, "latitude"),
        ({"latitude": 43.69}, "latitude"),
        ({"occurred_at": "2999-01-01T00:00:00+01:00"}, "occurred_at"),
        ({"occurred_at": "2020-01-01T00:00:00+01:00"}, "occurred_at"),
        ({"occurred_at": "hier"}, "occurred_at"),
        ({"commune": "99999"}, "commune"),
        ({"neighbourhood": 999999}, "neighbourhood"),
    ],
)
def test_it_refuses_bad_reports_with_field_errors(saint_paul: Town, report, fields: dict[str, Any], error_field: str) -> None:
    response = report(**fields)
    assert response.status_code == 400
    assert error_field in response.json()
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_occurred_at_within_seven_days_is_accepted(saint_paul: Town, report) -> None:
    when = (timezone.now() - timedelta(days=6)).isoformat()
    assert report(occurred_at=when).status_code == 201


@pytest.mark.django_db
def test_only_approved_members_report(saint_paul: Town, charleville: Town, report) -> None:
    assert report(who=saint_paul.applicant).status_code == 403
    assert report(who=charleville.resident).status_code == 403
    assert report(who=UserFactory()).status_code == 403
    CommuneFactory(insee="06044", enrolled=False)
    assert report(commune="06044").status_code == 400
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_a_description_naming_a_religion_is_refused_with_what_to_rephrase(saint_paul: Town, report) -> None:
    response = report(description="Une femme voilée sonne à toutes les portes")
    assert response.status_code == 400
    assert "religion" in response.json()["description"][0]
    assert not Alert.objects.exists()


@pytest.mark.django_db
def test_reports_are_throttled_per_person(saint_paul: Town, report) -> None:
    client = client_for(saint_paul.resident)
    codes = [report(client=client, category=c, description=f"Fait numéro {i}")
             for i, c in enumerate(["vol", "autre", "incendie"] * 4)]  # fmt: skip
    statuses = [r.status_code for r in codes]
    assert statuses.count(429) == 2
    assert codes[-1].has_header("Retry-After")
    assert report(who=saint_paul.resident2).status_code == 201


@pytest.mark.django_db
def test_a_nearby_recent_report_becomes_a_confirmation(saint_paul: Town, report) -> None:
    earlier = (timezone.now() - timedelta(minutes=10)).isoformat()
    first = report(**INSIDE, occurred_at=earlier).json()
    # ~100 m north, ten minutes later, by a neighbour.
    second = report(who=saint_paul.resident2, latitude=43.6978, longitude=7.1221)
    assert second.status_code == 200
    assert second.json()["confirmation"] is True
    assert second.json()["id"] == first["id"]
    assert Alert.objects.count() == 1
    assert Confirmation.objects.get().reporter == saint_paul.resident2
    moderator_view = client_for(saint_paul.referent).get(f"/api/v1/alerts/{first['id']}").json()
    assert moderator_view["confirmations"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"latitude": 43.7030, "longitude": 7.1221},  # ~680 m away
        {"category": "vol"},  # another category
        {"occurred_at_offset": 45},  # 45 minutes later
    ],
)
def test_a_report_further_away_or_later_or_different_is_a_new_alert(saint_paul: Town, report, change: dict[str, Any]) -> None:
    report(**INSIDE)
    offset = change.pop("occurred_at_offset", 0)
    fields = {**INSIDE, **change}
    if offset:
        fields["occurred_at"] = (timezone.now() - timedelta(minutes=offset)).isoformat()
    assert report(who=saint_paul.resident2, **fields).status_code == 201
    assert Alert.objects.count() == 2


@pytest.mark.django_db
def test_without_positions_the_same_quartier_means_the_same_place(saint_paul: Town, report) -> None:
    quartier = NeighbourhoodFactory.create(commune=saint_paul.commune)
    report(neighbourhood=quartier.pk)
    assert report(who=saint_paul.resident2, neighbourhood=quartier.pk).json()["confirmation"] is True
    assert report(who=saint_paul.resident2).status_code == 201  # no place at all: never merged
