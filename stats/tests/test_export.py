"""GET /api/v1/stats/export: exact CSV bytes, XLSX = JSON, area restrictions, audit entries."""

import io
import json

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from accounts.models import User
from audit.models import AuditEntry
from conftest import Town, client_for
from stats.tests.scenario import alert, build, official, utc
from tests.factories import CommuneFactory
from vigilants.categories import Category

URL = "/api/v1/stats/export"
WINTER = {"from": "2025-11-01", "to": "2026-02-28"}
HEADER = ("code INSEE;commune;département;période;catégorie;nombre;cambriolages pour 1 000 habitants;population;"
          "année du chiffre officiel;niveau du chiffre officiel;cambriolages de logement (officiel);"
          "chiffre officiel non diffusé")  # fmt: skip


@pytest.fixture
def scenario(saint_paul: Town, charleville: Town) -> Town:
    build(saint_paul, charleville)
    return saint_paul


def export(user: User | None, **params: str) -> tuple[int, bytes]:
    response = client_for(user).get(URL, params)
    body = b"".join(response.streaming_content) if isinstance(response, StreamingHttpResponse) else response.content
    return response.status_code, body


def test_it_writes_french_csv_exactly(scenario: Town, gendarme_06: User) -> None:
    status, body = export(gendarme_06, communes="06128", format="csv", **WINTER)
    assert status == 200, body
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").split("\r\n") == [
        HEADER,
        "06128;Saint-Paul-de-Vence;06;2025-11;Cambriolage;2;0,571;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2025-11;Vol;1;;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2026-01;Véhicule suspect;1;;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2026-02;Tentative de cambriolage;1;0,286;3500;2025;commune;8;non",
        "",
    ]


def test_it_says_when_the_official_figure_is_withheld_or_departemental(scenario: Town, staff: User) -> None:
    alert(scenario.commune, "cambriolage", utc(2023, 6, 15, 10))
    other = CommuneFactory.create(insee="06004", name="Antibes", departement="06", population=73000)
    alert(other, "cambriolage", utc(2025, 12, 1, 10))
    official("departement", "06", 2025, 30000)
    status, body = export(staff, departement="06", format="json", **{"from": "2023-01-01", "to": "2025-12-31"})
    rows = {(r["insee"], r["period"]): r for r in json.loads(body)}
    assert status == 200
    withheld = rows["06128", "2023-06"]
    assert (withheld["official_year"], withheld["official_count"], withheld["official_withheld"]) == (2023, None, True)
    antibes = rows["06004", "2025-12"]
    assert (antibes["official_level"], antibes["official_count"], antibes["burglary_rate_per_1000"]) == (
        "departement",
        30000,
        0.014,
    )


def test_it_gives_the_same_numbers_in_xlsx_and_json(scenario: Town, gendarme_06: User) -> None:
    _, as_json = export(gendarme_06, departement="06", format="json", **WINTER)
    status, as_xlsx = export(gendarme_06, departement="06", format="xlsx", **WINTER)
    assert status == 200
    sheet = load_workbook(io.BytesIO(as_xlsx), read_only=True).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    rows = json.loads(as_json)
    assert len(rows) == 4 and len(lines) == 5
    for line, row in zip(lines[1:], rows, strict=True):
        assert (line[0], line[3], line[4], line[5], line[6], line[10]) == (
            row["insee"], row["period"], str(Category(row["category"]).label), row["count"], row["burglary_rate_per_1000"],
            row["official_count"],
        )  # fmt: skip


def test_it_exports_exactly_the_gendarmes_area(scenario: Town, gendarme_06: User, charleville: Town) -> None:
    _, body = export(gendarme_06, format="json", **WINTER)  # no filter: the whole area
    rows = json.loads(body)
    assert {r["insee"] for r in rows} == {"06128"} and sum(r["count"] for r in rows) == 5


@pytest.mark.parametrize("params", [{"departement": "06"}, {"communes": "06128"}, {"communes": "08105,06128"}])
def test_it_refuses_another_area_without_data(scenario: Town, gendarme_08: User, params: dict) -> None:
    status, body = export(gendarme_08, format="csv", **params, **WINTER)
    assert status == 403 and b"Saint-Paul" not in body and b"cambriolage" not in body
    assert not AuditEntry.objects.filter(action="stats.exported").exists()


def test_it_says_404_for_an_unknown_commune(scenario: Town, gendarme_06: User) -> None:
    assert export(gendarme_06, communes="06128,99999")[0] == 404


def test_it_lets_mayors_export_their_own_commune_only(scenario: Town, charleville: Town) -> None:
    assert export(scenario.mayor, communes="06128", format="json")[0] == 200
    assert export(scenario.mayor, communes="08105")[0] == 403
    assert export(scenario.mayor, departement="06")[0] == 403
    assert export(scenario.resident, communes="06128")[0] == 403
    assert export(None)[0] == 401


@pytest.mark.parametrize("params", [{"format": "pdf"}, {"communes": "6128"}, {"departement": "123"}, {"from": "2026-02-30"}])
def test_it_refuses_bad_parameters(scenario: Town, staff: User, params: dict) -> None:
    status, body = export(staff, **params)
    assert status == 400 and set(json.loads(body)) & {"format", "communes", "departement", "from"}


def test_it_records_every_export_for_each_commune_and_its_mayor_sees_it(scenario: Town, gendarme_06: User) -> None:
    export(gendarme_06, departement="06", format="csv", **WINTER)
    entries = AuditEntry.objects.filter(action="stats.exported")
    assert sorted(str(e.commune_id) for e in entries) == sorted(["None", str(scenario.commune.pk)])
    entry = entries.get(commune=scenario.commune)
    assert entry.actor_id == gendarme_06.pk
    assert entry.after == {"format": "csv", "from": "2025-11-01", "to": "2026-02-28", "departement": "06", "communes": [],
                           "rows": 4, "communes_in_export": 1, "categories": []}  # fmt: skip
    log = client_for(scenario.mayor).get(f"/api/v1/communes/{scenario.commune.insee}/audit").json()["results"]
    assert log[0]["action"] == "stats.exported" and log[0]["actor"]["name"] == "Gendarme 06"


def test_an_export_keeps_to_the_categories_asked_and_refuses_unknown_ones(scenario: Town, gendarme_06: User) -> None:
    status, body = export(gendarme_06, departement="06", format="json", categories="cambriolage,tentative_cambriolage",
                          **WINTER)  # fmt: skip
    assert status == 200
    assert sorted(r["category"] for r in json.loads(body)) == ["cambriolage", "tentative_cambriolage"]
    status, body = export(gendarme_06, departement="06", format="json", categories="cambriolage,ovni", **WINTER)
    assert status == 400 and "ovni" in json.loads(body)["categories"][0]
    entry = AuditEntry.objects.filter(action="stats.exported", commune=scenario.commune).get()
    assert entry.after is not None and entry.after["categories"] == ["cambriolage", "tentative_cambriolage"]
