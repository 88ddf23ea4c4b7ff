"""GET /stats/territories/{kind}/{code}: the hand-counted territory of territory_scene.py, and who reads it."""

from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from communes.models import Follow, Membership
from conftest import NICE_METROPOLE, Town, client_for
from stats import cache as stats_cache
from stats.periods import DateRange
from stats.territory_stats import enrolled_communes, territory_statistics
from stats.tests.territory_scene import YEAR_2025, Scene, build, recent, warn
from tests.factories import CommuneFactory, MembershipFactory

EPCI = f"/api/v1/stats/territories/epci/{NICE_METROPOLE}"


@pytest.fixture
def scene(saint_paul: Town, charleville: Town) -> Scene:
    return build(saint_paul, charleville)


def figures(scene: Scene, date_range: Any = YEAR_2025) -> dict[str, Any]:
    territory = scene.metropole
    return territory_statistics(territory, date_range, enrolled_communes(territory))


def by_insee(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["commune"]["insee"]: row for row in answer["communes"]}


def test_it_lists_the_enrolled_communes_of_the_intercommunality_only(scene: Scene) -> None:
    answer = figures(scene)
    assert answer["territory"] == {"kind": "epci", "code": NICE_METROPOLE, "name": "Métropole Nice Côte d'Azur",
                                   "communes": 2, "communes_enrolled": 2}  # fmt: skip
    assert [row["commune"]["name"] for row in answer["communes"]] == ["Cagnes-sur-Mer", "Saint-Paul-de-Vence"]
    assert by_insee(answer)["06128"]["commune"]["enrolled_at"] is not None


def test_it_counts_members_followers_and_each_person_once(scene: Scene) -> None:
    answer = figures(scene)
    rows = by_insee(answer)
    assert (rows["06128"]["members"], rows["06128"]["followers"]) == (4, 2)  # the stopped follow is not counted
    assert (rows["06027"]["members"], rows["06027"]["followers"]) == (4, 1)
    totals = answer["totals"]
    assert (totals["members"], totals["followers"], totals["people"]) == (8, 3, 9)


def test_it_counts_moderation_as_the_commune_statistics_do(scene: Scene) -> None:
    answer = figures(scene)
    rows = by_insee(answer)
    assert rows["06128"]["moderation"] == {"received": 4, "approved": 2, "rejected": 1, "pending": 1,
                                           "rejected_share": 0.3333, "median_minutes_to_approve": 20.0}  # fmt: skip
    assert rows["06027"]["moderation"] == {"received": 2, "approved": 1, "rejected": 1, "pending": 0,
                                           "rejected_share": 0.5, "median_minutes_to_approve": 60.0}  # fmt: skip
    assert answer["totals"]["moderation"] == {"received": 6, "approved": 3, "rejected": 2, "pending": 1,
                                              "rejected_share": 0.4, "median_minutes_to_approve": 30.0}  # fmt: skip


def test_it_counts_the_reach_of_public_warnings_from_their_deliveries(scene: Scene) -> None:
    answer = figures(scene, recent())
    rows = by_insee(answer)
    assert rows["06128"]["warnings"] == {"issued": 2, "messages": 3,
                                         "recipients": 5, "reached": 3, "share_reached": 0.6}  # fmt: skip
    assert rows["06027"]["warnings"] == {"issued": 1, "messages": 1,
                                         "recipients": 2, "reached": 1, "share_reached": 0.5}  # fmt: skip
    assert answer["totals"]["warnings"] == {"issued": 3, "messages": 4,
                                            "recipients": 7, "reached": 4, "share_reached": 0.5714,
                                            "people_reached": 3}  # fmt: skip
    assert figures(scene)["totals"]["warnings"]["issued"] == 0  # none in 2025


def test_it_sets_burglaries_counted_against_the_official_figures(scene: Scene) -> None:
    answer = figures(scene)
    rows = by_insee(answer)
    assert rows["06128"]["burglaries"] == {"counted": 1, "by_year": [
        {"year": 2025, "counted": 1, "official": 8, "official_withheld": False}]}  # fmt: skip
    assert rows["06027"]["burglaries"] == {"counted": 1, "by_year": [
        {"year": 2025, "counted": 1, "official": None, "official_withheld": True}]}  # fmt: skip
    assert answer["totals"]["burglaries"] == {"counted": 2, "by_year": [{
        "year": 2025, "counted": 2, "official": 8, "official_communes": 1, "counted_in_official_communes": 1,
        "official_withheld_communes": 1, "official_departement": None}]}  # fmt: skip


def test_a_range_without_official_figures_yet_is_compared_with_the_latest_year_published(scene: Scene) -> None:
    answer = figures(scene, DateRange(date(2026, 1, 1), date(2026, 6, 30)))  # the SSMSI's latest year: 2025
    assert [(y["year"], y["counted"], y["official"]) for y in answer["totals"]["burglaries"]["by_year"]] == [
        (2025, 2, 8), (2026, 0, None)]  # fmt: skip
    assert answer["totals"]["burglaries"]["counted"] == 0  # the range's own count is the range's
    assert [y["year"] for y in figures(scene)["totals"]["burglaries"]["by_year"]] == [2025]


def test_the_departement_counts_its_communes_outside_the_intercommunality_and_its_own_figure(
    scene: Scene, operator_06: User
) -> None:
    answer = client_for(operator_06).get("/api/v1/stats/territories/departement/06?from=2025-01-01&to=2025-12-31").json()
    assert answer["territory"]["communes_enrolled"] == 3
    assert sorted(by_insee(answer)) == ["06027", "06128", "06157"]
    assert answer["totals"]["members"] == 9  # Vence's member; never Charleville's
    assert answer["totals"]["burglaries"]["by_year"][0]["official_departement"] == 30000


def test_the_api_answers_the_service_figures(scene: Scene, operator_nca: User) -> None:
    response = client_for(operator_nca).get(f"{EPCI}?from=2025-01-01&to=2025-12-31")
    assert response.status_code == 200
    assert response.json() == figures(scene)


def test_its_queries_do_not_grow_with_the_communes(scene: Scene, staff: User) -> None:
    def count() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client_for(staff).get("/api/v1/stats/territories/departement/06").status_code == 200
        return len(queries)

    before = count()
    for number in range(5):
        MembershipFactory.create(commune=CommuneFactory.create(insee=f"060{90 + number}", departement="06"))
    assert count() == before


@pytest.fixture
def shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without REDIS_URL the cache is one process's memory, which stands in for Redis within one test."""
    if not stats_cache._shared():
        monkeypatch.setattr(stats_cache, "_shared", lambda: True)


def test_a_repeated_request_is_answered_from_the_cache_until_a_commune_moves(
    scene: Scene, operator_nca: User, shared_cache: None
) -> None:
    client = client_for(operator_nca)
    assert client.get(EPCI).json()["totals"]["members"] == 8
    # A bulk update sends no signal: the cached answer stands, until the commune's figures are forgotten.
    Membership.objects.filter(commune=scene.cagnes.commune, user=scene.cagnes.resident).update(status="rejected")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(EPCI).json()["totals"]["members"] == 8
    assert not [q for q in queries.captured_queries if "membership" in q["sql"]]
    stats_cache.forget(scene.cagnes.commune.pk)
    assert client.get(EPCI).json()["totals"]["members"] == 7


def test_a_new_follower_and_a_new_warning_show_at_once_through_the_cache(
    scene: Scene, operator_nca: User, shared_cache: None
) -> None:
    client = client_for(operator_nca)
    before = client.get(EPCI).json()["totals"]
    assert (before["followers"], before["warnings"]["issued"]) == (3, 3)
    Follow.objects.create(user=scene.saint_paul.referent, commune=scene.saint_paul.commune)
    warn(scene.cagnes)
    after = client.get(EPCI).json()["totals"]
    assert (after["followers"], after["warnings"]["issued"]) == (4, 4)


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("operator_nca", EPCI, 200),
        ("operator_nca", "/api/v1/stats/territories/departement/06", 403),  # the département is wider
        ("operator_06", EPCI, 200),  # an intercommunality inside its département
        ("operator_06", "/api/v1/stats/territories/departement/06", 200),
        ("operator_06", "/api/v1/stats/territories/departement/08", 403),
        ("gendarme_06", "/api/v1/stats/territories/departement/06", 200),
        ("gendarme_06", EPCI, 200),
        ("gendarme_08", EPCI, 403),
        ("gendarme_08", "/api/v1/stats/territories/departement/08", 200),
        ("mayor", EPCI, 403),
        ("referent", "/api/v1/stats/territories/departement/06", 403),
        ("resident", EPCI, 403),
        ("staff", "/api/v1/stats/territories/departement/08", 200),
        ("anon", EPCI, 401),
        ("staff", "/api/v1/stats/territories/region/93", 404),
        ("staff", "/api/v1/stats/territories/departement/77", 404),
        ("staff", "/api/v1/stats/territories/epci/123456789", 404),
        ("operator_06", "/api/v1/stats/territories/epci/123456789", 404),
    ],
)
def test_who_reads_which_territory(scene: Scene, request: pytest.FixtureRequest, who: str, path: str, status: int) -> None:
    people = {"mayor": scene.saint_paul.mayor, "referent": scene.saint_paul.referent, "resident": scene.saint_paul.resident,
              "anon": None}  # fmt: skip
    user = people[who] if who in people else request.getfixturevalue(who)
    response = client_for(user).get(path)
    assert response.status_code == status, response.content[:200]
    if status >= 400:
        assert "communes" not in response.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2025-13-01", "from"), ("from=2025-06-01&to=2025-01-01", "from"), ("to=1999-12-31", "to"),
     ("from=2010-01-01&to=2025-01-01", "from"), ("from=hier", "from"), ("to=9999-12-31", "to"),
     ("from=0001-01-01", "from"), ("from=9999-01-01&to=9999-12-31", "from")],
)  # fmt: skip
def test_bad_dates_are_400_with_french_field_errors(scene: Scene, operator_nca: User, query: str, field: str) -> None:
    response = client_for(operator_nca).get(f"{EPCI}?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_the_operator_of_another_territory_gets_403_before_bad_dates(scene: Scene, operator_nca: User) -> None:
    assert client_for(operator_nca).get("/api/v1/stats/territories/departement/08?from=x").status_code == 403
