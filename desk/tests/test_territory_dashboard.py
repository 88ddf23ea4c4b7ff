"""A territory's dashboard (/desk/territoire/<kind>/<code>/tableau/): who opens it, its numbers (the API's), the
period filter, the map, the export links, the menu entry."""

import json
import re
from typing import Any

import pytest

from accounts.models import User
from conftest import NICE_METROPOLE, Town, client_for
from desk.tests.conftest import signed_in
from stats.tests.territory_scene import Scene, build

EPCI = f"/desk/territoire/epci/{NICE_METROPOLE}/tableau/"
DEPARTEMENT = "/desk/territoire/departement/06/tableau/"
YEAR = "?du=2025-01-01&au=2025-12-31"


@pytest.fixture
def scene(saint_paul: Town, charleville: Town) -> Scene:
    return build(saint_paul, charleville)


def table(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"')[1].split("</table>")[0]


def cells(html: str, testid: str, insee: str) -> list[str]:
    row = table(html, testid).split(f'data-insee="{insee}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def test_the_page_shows_the_api_s_numbers(scene: Scene, operator_nca: User) -> None:
    response = signed_in(operator_nca).get(EPCI + YEAR)
    assert response.status_code == 200
    html = response.content.decode()
    api = client_for(operator_nca).get(f"/api/v1/stats/territories/epci/{NICE_METROPOLE}?from=2025-01-01&to=2025-12-31").json()
    saint_paul = next(row for row in api["communes"] if row["commune"]["insee"] == "06128")
    # Commune, enrolled on, members, followers, received, published, refused, median, warnings, recipients, reached.
    assert cells(html, "territory-communes", "06128")[2:8] == [
        str(saint_paul["members"]), str(saint_paul["followers"]), "4", "2", "1", "20"]  # fmt: skip
    assert cells(html, "territory-communes", "06027")[2:8] == ["4", "1", "2", "1", "1", "60"]
    totals = table(html, "territory-totals")
    assert "<td>9</td>" in totals and "<td>30 min</td>" in totals  # people; the median over the territory
    assert cells(html, "territory-burglaries-communes", "06027") == ["Cagnes-sur-Mer", "1 / non diffusé"]
    assert cells(html, "territory-burglaries-communes", "06128") == ["Saint-Paul-de-Vence", "1 / 8"]
    assert 'data-insee="08105"' not in html  # Charleville is in no table


def test_the_warnings_reach_is_shown_as_a_french_percentage(scene: Scene, operator_nca: User) -> None:
    html = signed_in(operator_nca).get(EPCI).content.decode()  # the last 12 months: today's warnings
    assert cells(html, "territory-communes", "06128")[8:] == ["2", "5", "60,0\u00a0%"]
    assert "57,1\u00a0%" in table(html, "territory-totals")


def test_the_map_shows_each_enrolled_commune_linking_to_its_statistics(scene: Scene, operator_nca: User) -> None:
    html = signed_in(operator_nca).get(EPCI).content.decode()
    figure = html.split('data-testid="commune-map"')[1]
    data = json.loads(figure.split('<script type="application/json">')[1].split("</script>")[0])
    assert len(data["outlines"]) == 2
    assert sorted(p["url"] for p in data["points"]) == ["/dashboard/communes/06027/", "/dashboard/communes/06128/"]
    assert '<a href="/dashboard/communes/06128/">Saint-Paul-de-Vence</a>' in html


def test_the_export_links_carry_the_territory_and_the_period(scene: Scene, operator_nca: User) -> None:
    html = signed_in(operator_nca).get(EPCI + YEAR).content.decode()
    query = f"epci={NICE_METROPOLE}&amp;from=2025-01-01&amp;to=2025-12-31"
    assert f'href="/api/v1/stats/export?{query}&amp;format=csv"' in html
    assert f'href="/api/v1/stats/export?{query}&amp;format=xlsx"' in html
    # The link works for the same person, session and all.
    link = f"/api/v1/stats/export?epci={NICE_METROPOLE}&from=2025-01-01&to=2025-12-31&format=csv"
    response = signed_in(operator_nca).get(link)
    assert response.status_code == 200
    assert b"Cagnes-sur-Mer" in b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_a_departement_page_adds_the_departement_s_official_figure(scene: Scene, operator_06: User) -> None:
    html = signed_in(operator_06).get(DEPARTEMENT + YEAR).content.decode()
    assert "<h1>Tableau du territoire : Département 06</h1>" in html  # its name is not loaded here
    assert "Officiel du département" in html and "<td>30000</td>" in table(html, "territory-burglaries")
    assert 'data-insee="06157"' in table(html, "territory-communes")  # Vence, outside the Métropole
    assert "departement=06&amp;from=2025-01-01" in html


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("operator_nca", EPCI, 200), ("operator_nca", DEPARTEMENT, 403),
        ("operator_06", DEPARTEMENT, 200), ("operator_06", EPCI, 200),
        ("operator_06", "/desk/territoire/departement/08/tableau/", 403),
        ("gendarme_06", DEPARTEMENT, 200), ("gendarme_08", DEPARTEMENT, 403),
        ("gendarme_08", "/desk/territoire/departement/08/tableau/", 200),
        ("mayor", EPCI, 403), ("referent", DEPARTEMENT, 403), ("resident", EPCI, 403),
        ("staff", "/desk/territoire/departement/08/tableau/", 200),
        ("anon", EPCI, 302),
        ("staff", "/desk/territoire/region/93/tableau/", 404),
        ("operator_06", "/desk/territoire/epci/123456789/tableau/", 404),
    ],
)  # fmt: skip
def test_who_opens_which_dashboard(scene: Scene, request: pytest.FixtureRequest, who: str, path: str, status: int) -> None:
    people: dict[str, Any] = {"mayor": scene.saint_paul.mayor, "referent": scene.saint_paul.referent,
                              "resident": scene.saint_paul.resident, "anon": None}  # fmt: skip
    user = people[who] if who in people else request.getfixturevalue(who)
    response = signed_in(user).get(path)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/dashboard/login/")
    if status != 200:
        assert b"territory-communes" not in response.content


@pytest.mark.parametrize(
    ("query", "message"),
    [("?du=2025-06-01&au=2025-01-01", "La fin de la période précède son début."),
     ("?du=1999-01-01", "Date hors des limites"), ("?au=demain", "Date invalide"),
     ("?du=2010-01-01&au=2025-01-01", "Période trop longue"), ("?au=9999-12-31", "Date hors des limites"),
     ("?du=0001-01-01", "Date hors des limites")],
)  # fmt: skip
def test_a_bad_period_is_a_400_in_french_without_figures(scene: Scene, operator_nca: User, query: str, message: str) -> None:
    response = signed_in(operator_nca).get(EPCI + query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'data-testid="territory-communes"' not in html


def test_the_menu_offers_the_dashboard_of_each_territory_one_reads(scene: Scene, operator_nca: User,
                                                                  gendarme_06: User) -> None:  # fmt: skip
    menu = signed_in(operator_nca).get(DEPARTEMENT.replace("06", "08")).content.decode()  # refused, with the menu
    assert f'href="{EPCI}"' in menu and "Tableau du territoire : Métropole Nice Côte d&#x27;Azur" in menu
    assert f'href="{DEPARTEMENT}"' in signed_in(gendarme_06).get("/dashboard/").content.decode()
    assert "Tableau du territoire" not in signed_in(scene.saint_paul.mayor).get("/desk/").content.decode()


def test_the_territory_nav_links_both_territory_pages(scene: Scene, operator_nca: User) -> None:
    communes = f"/desk/territories/epci/{NICE_METROPOLE}/"
    html = signed_in(operator_nca).get(EPCI).content.decode()
    assert f'<a href="{EPCI}" aria-current="page">Tableau du territoire</a>' in html
    assert f'<a href="{communes}">Communes du territoire</a>' in html
    html = signed_in(operator_nca).get(communes).content.decode()
    assert f'<a href="{communes}" aria-current="page">Communes du territoire</a>' in html
    assert f'<a href="{EPCI}">Tableau du territoire</a>' in html


def test_it_reads_at_phone_width(scene: Scene, operator_nca: User) -> None:
    """Wide tables scroll inside their box (390 px): never the page."""
    html = signed_in(operator_nca).get(EPCI).content.decode()
    for testid in ("territory-totals", "territory-communes", "territory-burglaries", "territory-burglaries-communes"):
        assert f'<div class="table-scroll"><table data-testid="{testid}">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
