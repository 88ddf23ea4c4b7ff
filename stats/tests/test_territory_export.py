"""GET /api/v1/stats/export for territory operators: `epci=` and `departement=` within their territory, audited."""

import json

import pytest
from django.http import StreamingHttpResponse

from accounts.models import User
from audit.models import AuditEntry
from conftest import NICE_METROPOLE, Town, client_for
from stats.tests.territory_scene import Scene, build

URL = "/api/v1/stats/export"
YEAR = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def scene(saint_paul: Town, charleville: Town) -> Scene:
    return build(saint_paul, charleville)


def export(user: User | None, **params: str) -> tuple[int, bytes]:
    response = client_for(user).get(URL, params)
    body = b"".join(response.streaming_content) if isinstance(response, StreamingHttpResponse) else response.content
    return response.status_code, body


def test_an_intercommunality_s_operator_exports_its_communes_only(scene: Scene, operator_nca: User) -> None:
    status, body = export(operator_nca, epci=NICE_METROPOLE, format="json", **YEAR)
    assert status == 200, body
    rows = [(r["insee"], r["period"], r["category"], r["count"]) for r in json.loads(body)]
    assert rows == [("06027", "2025-06", "tentative_cambriolage", 1),
                    ("06128", "2025-03", "cambriolage", 1), ("06128", "2025-04", "vol", 1)]  # fmt: skip


def test_each_commune_of_the_export_gets_its_audit_entry(scene: Scene, operator_nca: User) -> None:
    status, _ = export(operator_nca, epci=NICE_METROPOLE, format="csv", **YEAR)
    assert status == 200
    entries = AuditEntry.objects.filter(action="stats.exported", actor_id=operator_nca.pk)
    assert sorted(e.commune.insee for e in entries if e.commune) == ["06027", "06128"]
    entry = entries.get(commune=scene.cagnes.commune)
    assert entry.after is not None
    assert (entry.after["epci"], entry.after["format"], entry.after["rows"]) == (NICE_METROPOLE, "csv", 3)
    assert entries.filter(commune=None).count() == 1  # staff's copy


def test_a_departement_s_operator_exports_the_departement_and_an_intercommunality_in_it(
    scene: Scene, operator_06: User
) -> None:
    status, body = export(operator_06, departement="06", format="json", **YEAR)
    assert status == 200
    assert {r["insee"] for r in json.loads(body)} == {"06027", "06128"}  # Charleville's report is not there
    assert export(operator_06, epci=NICE_METROPOLE, format="csv", **YEAR)[0] == 200


@pytest.mark.parametrize(
    ("who", "params"),
    [
        ("operator_nca", {"departement": "06"}),  # wider than its territory
        ("operator_nca", {"communes": "08105"}),
        ("operator_06", {"departement": "08"}),
        ("operator_06", {"epci": "200000172"}),  # an intercommunality it does not operate nor cover
        ("mayor", {"epci": NICE_METROPOLE}),
        ("gendarme_08", {"epci": NICE_METROPOLE}),
    ],
)
def test_outside_the_territory_is_403_and_nothing_is_written(
    scene: Scene, request: pytest.FixtureRequest, who: str, params: dict[str, str]
) -> None:
    user = scene.saint_paul.mayor if who == "mayor" else request.getfixturevalue(who)
    status, body = export(user, format="csv", **params, **YEAR)
    assert status == 403, body
    assert not AuditEntry.objects.filter(action="stats.exported").exists()


def test_a_gendarme_of_the_departement_exports_an_intercommunality_in_it(scene: Scene, gendarme_06: User) -> None:
    assert export(gendarme_06, epci=NICE_METROPOLE, format="xlsx", **YEAR)[0] == 200


@pytest.mark.parametrize("epci", ["2000301", "abcdefghi", " "])
def test_a_bad_siren_is_a_400_on_epci(scene: Scene, operator_nca: User, epci: str) -> None:
    status, body = export(operator_nca, epci=epci, format="csv")
    assert status == 400
    assert "epci" in json.loads(body)
    assert not AuditEntry.objects.filter(action="stats.exported").exists()
