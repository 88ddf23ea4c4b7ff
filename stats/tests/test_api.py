"""GET /api/v1/stats/communes/{insee}: who may read it, its parameters, its shape."""

from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from conftest import Town, client_for
from stats.tests.scenario import build

if TYPE_CHECKING:
    from rest_framework.response import _MonkeyPatchedResponse as ApiResponse  # what APIClient answers, in the stubs

URL = "/api/v1/stats/communes/{insee}"


@pytest.fixture
def scenario(saint_paul: Town, charleville: Town) -> Town:
    build(saint_paul, charleville)
    return saint_paul


def get(user: User | None, insee: str = "06128", **params: str) -> "ApiResponse":
    return client_for(user).get(URL.format(insee=insee), params)


def test_it_returns_the_hand_counted_figures(scenario: Town) -> None:
    response = get(scenario.mayor, **{"from": "2025-11-01", "to": "2026-02-28"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["commune"]["insee"] == "06128" and body["granularity"] == "month" and body["time_basis"] == "occurred_at"
    assert [p["total"] for p in body["series"]] == [3, 0, 1, 1]
    assert body["totals"]["burglaries"] == 3 and body["rates"]["per_1000_inhabitants"] == 0.857
    assert body["year_before"]["burglaries"] == 1
    assert set(body) >= {"enrolment", "moderation", "deliveries", "official", "categories"}


def test_it_answers_without_trailing_slash_and_with(scenario: Town, gendarme_06: User) -> None:
    assert client_for(gendarme_06).get("/api/v1/stats/communes/06128/").status_code == 200


def test_it_defaults_to_twelve_monthly_periods(scenario: Town) -> None:
    body = get(scenario.referent).json()
    assert len(body["series"]) == 12 and body["granularity"] == "month"


def test_it_serves_weeks(scenario: Town, staff: User) -> None:
    body = get(staff, **{"from": "2026-01-26", "to": "2026-02-08", "granularity": "week"}).json()
    assert [(p["period"], p["total"]) for p in body["series"]] == [("2026-W05", 2), ("2026-W06", 0)]


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13-01"}, "from"), ({"to": "01/02/2026"}, "to"), ({"granularity": "day"}, "granularity"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "from"), ({"from": "2010-01-01", "to": "2026-01-01"}, "from"),
])  # fmt: skip
def test_it_refuses_bad_parameters_with_field_errors(scenario: Town, params: dict, field: str) -> None:
    response = get(scenario.mayor, **params)
    assert response.status_code == 400 and field in response.json()


def test_it_is_refused_to_residents_and_other_areas(scenario: Town, gendarme_08: User, charleville: Town) -> None:
    assert get(scenario.resident).status_code == 403
    assert get(gendarme_08).status_code == 403
    assert get(charleville.mayor).status_code == 403
    assert get(None).status_code == 401
    assert "cambriolage" not in get(gendarme_08).content.decode()


def test_it_says_404_for_an_unknown_commune(scenario: Town, staff: User) -> None:
    assert get(staff, insee="99999").status_code == 404
