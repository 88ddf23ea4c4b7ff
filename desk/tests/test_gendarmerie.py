"""The gendarmerie's pages: who opens them, which alerts they list, the filters, the rounded positions, the map."""

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertStatus, FollowUp, FollowUpKind
from communes.models import Role
from conftest import Town, client_for
from desk.tests.conftest import People, expect_statuses
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LIST = "/desk/alerts/"
# Who gets what on the gendarmerie's pages, whatever the alert (anonymous: sent to the sign-in page).
NOT_GENDARMES: dict[str, int] = {"anon": 302, "resident": 403, "referent": 403, "mayor": 403, "other_mayor": 403}
# Precise positions, typed by residents: none may reach these pages (~100 m at most).
HOUSE = (43.69687, 7.12212)
NEIGHBOUR = (43.69712, 7.12238)  # rounds to the same 0.001° point as HOUSE


def alert(town: Town, category: str = "cambriolage", *, day: int = 10, month: int = 3, status: str = AlertStatus.APPROVED,
          position: tuple[float, float] | None = HOUSE, **extra: Any) -> Alert:  # fmt: skip
    latitude, longitude = position if position else (None, None)
    return Alert.objects.create(
        commune=town.commune, kind=AlertKind.REPORT, category=category, description="Porte fracturée au pied-de-biche",
        occurred_at=timezone.make_aware(datetime(2025, month, day, 3, 0)), status=status, reporter=town.resident,
        latitude=latitude, longitude=longitude, address="12 chemin des Oliviers", **extra,
    )  # fmt: skip


def rows(html: str) -> list[int]:
    """The alerts the list shows, in its order."""
    table = html.split('data-testid="gendarmerie-alerts"')[1].split("</table>")[0]
    return [int(pk) for pk in re.findall(r'<tr data-alert="(\d+)">', table)]


def map_data(html: str) -> dict[str, Any]:
    figure = html.split('data-testid="commune-map"')[1]
    return json.loads(figure.split('<script type="application/json">')[1].split("</script>")[0])


def page(people: People, persona: str, query: str = "") -> tuple[int, str]:
    answer = people.client(persona).get(LIST + query)
    return answer.status_code, answer.content.decode()


# --- Who ------------------------------------------------------------------------------------------


def test_the_list_is_for_gendarmes_and_staff(people: People) -> None:
    expect_statuses(people, "get", LIST, {**NOT_GENDARMES, "gendarme_06": 200, "gendarme_08": 200, "staff": 200})


def test_an_alert_is_for_the_gendarmes_of_its_area(people: People) -> None:
    saint_paul, charleville = alert(people.saint_paul), alert(people.charleville, position=None)
    expect_statuses(people, "get", f"{LIST}{saint_paul.pk}/",
                    {**NOT_GENDARMES, "gendarme_06": 200, "gendarme_08": 404, "staff": 200})  # fmt: skip
    expect_statuses(people, "get", f"{LIST}{charleville.pk}/",
                    {**NOT_GENDARMES, "gendarme_06": 404, "gendarme_08": 200, "staff": 200})  # fmt: skip


def test_an_alert_not_published_is_no_ones_here(people: People) -> None:
    for status in (AlertStatus.PENDING, AlertStatus.REJECTED):
        hidden = alert(people.saint_paul, status=status)
        expect_statuses(people, "get", f"{LIST}{hidden.pk}/", {"gendarme_06": 404, "staff": 404})
    expect_statuses(people, "get", f"{LIST}999999/", {"gendarme_06": 404, "staff": 404})


def test_refusals_are_french_pages(people: People) -> None:
    answer = people.client("anon").get(LIST)
    assert answer.status_code == 302 and answer["Location"] == f"/dashboard/login/?next={LIST}"
    status, html = page(people, "mayor")
    assert status == 403 and "Les pages de la gendarmerie sont réservées aux gendarmes" in html
    other = alert(people.charleville)
    answer = people.client("gendarme_06").get(f"{LIST}{other.pk}/")
    assert answer.status_code == 404 and "Page introuvable" in answer.content.decode()


def test_the_menu_and_the_index_offer_the_page_to_gendarmes_only(people: People) -> None:
    link = f'href="{LIST}"'
    assert link in people.client("gendarme_06").get("/dashboard/").content.decode()
    assert link in people.client("staff").get("/dashboard/").content.decode()
    assert link not in people.client("mayor").get("/dashboard/").content.decode()


# --- What -----------------------------------------------------------------------------------------


def test_a_gendarme_lists_the_published_alerts_of_the_area_newest_first(people: People) -> None:
    march, may = alert(people.saint_paul, month=3), alert(people.saint_paul, "vol", month=5)
    alert(people.saint_paul, status=AlertStatus.PENDING)
    elsewhere = alert(people.charleville, day=1)
    status, html = page(people, "gendarme_06")
    assert status == 200 and rows(html) == [may.pk, march.pk]
    assert "Saint-Paul-de-Vence" in html and "Vol" in html and "Cambriolage" in html
    assert rows(page(people, "gendarme_08")[1]) == [elsewhere.pk]
    assert rows(page(people, "staff")[1]) == [may.pk, march.pk, elsewhere.pk]


def test_a_gendarme_who_is_also_a_resident_elsewhere_sees_only_the_area_here(people: People) -> None:
    # The API shows them their own commune's alerts too; this page is the area's.
    MembershipFactory.create(commune=people.charleville.commune, user=people.gendarme_06, role=Role.RESIDENT)
    own = alert(people.saint_paul)
    home = alert(people.charleville)
    assert client_for(people.gendarme_06).get(f"/api/v1/alerts/{home.pk}").status_code == 200
    assert rows(page(people, "gendarme_06")[1]) == [own.pk]
    assert people.client("gendarme_06").get(f"{LIST}{home.pk}/").status_code == 404


def test_positions_are_rounded_as_the_api_rounds_them_and_addresses_never_shown(people: People) -> None:
    shown = alert(people.saint_paul)
    api = client_for(people.gendarme_06).get(f"/api/v1/alerts/{shown.pk}").json()
    assert (api["latitude"], api["longitude"]) == (43.697, 7.122)
    for path in (LIST, f"{LIST}{shown.pk}/"):
        html = people.client("gendarme_06").get(path).content.decode()
        assert "43.697, 7.122" in html, path
        assert [(p["latitude"], p["longitude"]) for p in map_data(html)["points"]] == [(api["latitude"], api["longitude"])]
        for secret in ("43.69687", "7.12212", "43,69687", "12 chemin des Oliviers", people.saint_paul.resident.display_name):
            assert secret not in html, (path, secret)
    # Staff read the API's precise positions; on the gendarmes' pages they see what the gendarmes see.
    assert "43.69687" not in people.client("staff").get(LIST).content.decode()


def test_the_map_puts_alerts_of_one_rounded_place_in_one_point_linked_when_alone(people: People) -> None:
    first, second = alert(people.saint_paul, position=HOUSE), alert(people.saint_paul, position=NEIGHBOUR)
    apart = alert(people.saint_paul, position=(43.70512, 7.11013))
    alert(people.saint_paul, position=None)
    data = map_data(page(people, "gendarme_06")[1])
    assert [(p["latitude"], p["longitude"], p["count"], p["url"]) for p in data["points"]] == [
        (43.697, 7.122, 2, ""), (43.705, 7.11, 1, f"{LIST}{apart.pk}/"),
    ]  # fmt: skip
    assert data["points"][0]["label"] == "2 signalements à cet endroit" and first.pk != second.pk
    assert data["outlines"] == [[43.67332, 7.09568, 43.71234, 7.14361]]  # Saint-Paul's territory
    # Staff's map spans every commune with an alert: each one's outline.
    alert(people.charleville)
    assert len(map_data(page(people, "staff")[1])["outlines"]) == 2


def test_the_map_keeps_to_the_newest_alerts(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("desk.gendarmerie.MAP_LIMIT", 2)
    newest = [alert(people.saint_paul, day=day, position=(43.69 + day / 1000, 7.12)) for day in (1, 2, 3)][1:]
    html = page(people, "gendarme_06")[1]
    assert [p["url"] for p in map_data(html)["points"]] == [f"{LIST}{a.pk}/" for a in newest]
    assert "Seuls les 2 signalements les plus récents" in html


def test_an_alert_page_shows_its_facts_and_follow_ups(people: People) -> None:
    shown = alert(people.saint_paul, urgent=True)
    FollowUp.objects.create(alert=shown, kind=FollowUpKind.END, body="Le véhicule est reparti.")
    html = people.client("gendarme_06").get(f"{LIST}{shown.pk}/").content.decode()
    assert "Porte fracturée au pied-de-biche" in html and "Le véhicule est reparti." in html
    assert "Saint-Paul-de-Vence (06128)" in html and "urgent" in html
    assert 'aria-label="Carte du signalement ; les positions sont reprises dans le tableau qui suit."' in html


# --- Filters --------------------------------------------------------------------------------------


def test_the_filters_narrow_the_list_and_its_map(people: People) -> None:
    # Staff see both communes: the commune filter has something to leave out.
    march = alert(people.saint_paul, month=3, day=10)
    april_vol = alert(people.saint_paul, "vol", month=4, day=1, position=(43.70512, 7.11013))
    charleville = alert(people.charleville, month=3)
    assert rows(page(people, "staff", "?commune=06128")[1]) == [april_vol.pk, march.pk]
    assert rows(page(people, "staff", "?categorie=vol")[1]) == [april_vol.pk]
    # The period is of the facts, both days included, in Paris time.
    assert rows(page(people, "staff", "?du=2025-03-10&au=2025-03-10")[1]) == [charleville.pk, march.pk]
    assert rows(page(people, "staff", "?du=2025-03-11")[1]) == [april_vol.pk]
    assert rows(page(people, "staff", "?au=2025-03-31&commune=08105")[1]) == [charleville.pk]
    status, html = page(people, "staff", "?commune=06128&categorie=vol")
    assert status == 200 and [p["latitude"] for p in map_data(html)["points"]] == [43.705]
    # A commune of the area without any alert: its outline all the same, and the select keeps the choice.
    status, html = page(people, "staff", "?commune=08105&categorie=incendie")
    assert rows(html) == [] and map_data(html)["outlines"] == [[49.73297, 4.67581, 49.8276, 4.78489]]
    assert '<option value="08105" selected>' in html


def test_the_commune_filter_offers_the_area_only(people: People) -> None:
    html = page(people, "gendarme_06")[1]
    assert '<option value="06128">' in html and '<option value="08105"' not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?commune=08105", "Commune inconnue ou hors de votre secteur."),  # another area's
        ("?commune=<script>", "Commune inconnue ou hors de votre secteur."),
        ("?categorie=tapage", "Catégorie inconnue."),
        ("?du=hier", "Date invalide"),
        ("?au=2025-02-30", "Date invalide"),
        ("?du=0001-01-01", "Date hors des années couvertes (2000 à 2100)."),
        ("?au=9999-12-31", "Date hors des années couvertes (2000 à 2100)."),
        ("?du=2025-05-01&au=2025-04-01", "La fin de la période précède son début."),
    ],
)
def test_a_bad_filter_is_a_french_form_error(people: People, query: str, message: str) -> None:
    alert(people.saint_paul)
    status, html = page(people, "gendarme_06", query)
    assert status == 400 and message in html and 'aria-invalid="true"' in html
    assert 'data-testid="gendarmerie-alerts"' not in html and "<script>" not in html.split("</header>")[1]


def test_pages_of_results_keep_the_filter(people: People) -> None:
    for day in range(1, 28):
        alert(people.saint_paul, day=day)
    status, html = page(people, "gendarme_06", "?categorie=cambriolage")
    assert len(rows(html)) == 25 and "page 1 sur 2" in html
    assert 'href="?categorie=cambriolage&amp;page=2"' in html
    status, html = page(people, "gendarme_06", "?categorie=cambriolage&page=2")
    assert status == 200 and len(rows(html)) == 2
    assert rows(page(people, "gendarme_06", "?page=abc")[1]) == rows(page(people, "gendarme_06")[1])  # the first page
