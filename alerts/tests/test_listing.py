"""The alerts' lists and detail are represented from values (serializers.alert_rows), not model instances: the
same output as AlertSerializer for every audience, in a handful of queries whatever the page's size."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert, FollowUp
from alerts.selectors import disclosure_context, visible_alerts
from alerts.serializers import ROW_COLUMNS, AlertSerializer, alert_rows
from communes.models import Neighbourhood
from conftest import Town, client_for


def alert(town: Town, **fields: Any) -> Alert:
    defaults = {"commune": town.commune, "category": "cambriolage", "description": "Porte fracturée",
                "occurred_at": timezone.now() - timedelta(hours=1), "status": "approved"}  # fmt: skip
    return Alert.objects.create(**{**defaults, **fields})


@pytest.fixture
def alerts(saint_paul: Town) -> list[Alert]:
    """Every shape: with a position and an address, moderated or not, the resident's own pending and rejected
    reports, follow-ups, a closed one, a neighbourhood, a named moderator."""
    saint_paul.mayor.display_name = "Mme la maire"
    saint_paul.mayor.save()
    quarter = Neighbourhood.objects.create(commune=saint_paul.commune, name="Les Oliviers")
    made = [
        alert(saint_paul, latitude=43.6971234, longitude=7.1223456, address="12 rue des Oliviers",
              reporter=saint_paul.resident2, moderated_by=saint_paul.mayor, moderated_at=timezone.now(),
              confirmations_count=2, flagged_terms=["gitan"], neighbourhood=quarter),
        alert(saint_paul, reporter=saint_paul.resident, status="pending", address="chez moi"),
        alert(saint_paul, reporter=saint_paul.resident, status="rejected", rejection_reason="Hors sujet"),
        alert(saint_paul, kind="broadcast", category="autre", title="Démarcheurs", closed_at=timezone.now()),
    ]  # fmt: skip
    FollowUp.objects.create(alert=made[0], kind="erratum", body="Un artisan", author=saint_paul.mayor)
    FollowUp.objects.create(alert=made[0], kind="end", body="Fin d'alerte", author=saint_paul.mayor)
    return made


@pytest.mark.parametrize("who", ["resident", "resident2", "referent", "mayor", "staff"])
def test_the_rows_are_what_the_serializer_says_for_every_audience(
    saint_paul: Town, staff: Any, alerts: list[Alert], who: str
) -> None:
    user = staff if who == "staff" else getattr(saint_paul, who)
    context = disclosure_context(user)
    visible = visible_alerts(user).order_by("-created_at")
    expected = [AlertSerializer(a, context=context).data for a in visible]
    assert alert_rows(visible.prefetch_related(None).values(*ROW_COLUMNS), context) == expected
    assert len(expected) >= 2


def test_the_list_and_the_detail_answer_the_serializers_output(saint_paul: Town, alerts: list[Alert]) -> None:
    api, context = client_for(saint_paul.resident), disclosure_context(saint_paul.resident)
    listed = api.get("/api/v1/alerts", {"commune": "06128"}).json()["results"]
    assert listed == [AlertSerializer(a, context=context).data for a in visible_alerts(saint_paul.resident)]
    detail = api.get(f"/api/v1/alerts/{alerts[0].pk}").json()
    assert detail == AlertSerializer(alerts[0], context=context).data
    assert detail["address"] is None and detail["latitude"] == 43.697 and len(detail["followups"]) == 2
    assert api.get(f"/api/v1/alerts/{alerts[1].pk}").json()["address"] == "chez moi"  # the reporter's own


def test_a_page_costs_the_same_queries_whatever_its_size(saint_paul: Town, alerts: list[Alert]) -> None:
    api = client_for(saint_paul.resident)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/alerts", {"commune": "06128"}).status_code == 200
        return len(captured)

    queries()  # the first marks the token used
    few = queries()
    for _ in range(30):
        FollowUp.objects.create(alert=alert(saint_paul), kind="end", body="Fin")
    assert queries() == few


def test_an_alert_one_may_not_see_is_not_found(saint_paul: Town, charleville: Town, alerts: list[Alert]) -> None:
    assert client_for(charleville.resident).get(f"/api/v1/alerts/{alerts[0].pk}").status_code == 404
    assert client_for(saint_paul.resident2).get(f"/api/v1/alerts/{alerts[1].pk}").status_code == 404
    assert client_for(saint_paul.resident).get("/api/v1/alerts/999999").status_code == 404


def test_a_gendarme_reads_the_approved_alerts_of_their_area_as_residents_do(
    saint_paul: Town, charleville: Town, gendarme_06: Any, alerts: list[Alert]
) -> None:
    elsewhere = alert(charleville)
    api = client_for(gendarme_06)
    listed = api.get("/api/v1/alerts").json()["results"]
    published = [a for a in alerts if a.status == "approved"]
    assert [row["id"] for row in listed] == [a.pk for a in reversed(published)]  # not the pending, not the 08
    assert elsewhere.pk not in [row["id"] for row in listed]
    first = next(row for row in listed if row["id"] == alerts[0].pk)
    assert first["latitude"] == 43.697 and first["address"] is None and "reporter" not in first
    assert api.get("/api/v1/alerts", {"category": "autre"}).json()["count"] == 1
    assert api.get(f"/api/v1/alerts/{elsewhere.pk}").status_code == 404
    assert api.post(f"/api/v1/alerts/{alerts[0].pk}/approve").status_code == 403  # read-only


def test_a_period_and_a_departement_filter_the_list(saint_paul: Town, charleville: Town, staff: Any) -> None:
    now = timezone.now()
    old, recent = alert(saint_paul), alert(saint_paul)
    Alert.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    in_08 = alert(charleville)
    api = client_for(staff)

    def ids(**query: str) -> set[int]:
        return {row["id"] for row in api.get("/api/v1/alerts", query).json()["results"]}

    assert ids(until=(now - timedelta(days=1)).isoformat()) == {old.pk}
    assert ids(since=(now - timedelta(days=1)).isoformat(), departement="06") == {recent.pk}
    assert ids(departement="08") == {in_08.pk}
    assert api.get("/api/v1/alerts", {"until": "hier"}).status_code == 400
