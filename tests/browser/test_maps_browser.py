"""A real headless Chromium signs a gendarme in and reads the gendarmerie's pages and their Leaflet maps.

Checks what only a browser shows: Leaflet, served by the project, draws the commune's outline, the scale and
one circle per rounded position under a Content-Security-Policy of `default-src 'self'` alone, with no console
error and no request leaving the server (no tiles unless MAP_TILE_URL names a server); a marker's popup links to
the alert; without JavaScript the table alone reads. Screenshots (1280 and 390 px) go to var/screenshots/.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Route, expect

from alerts.models import Alert, AlertKind, AlertStatus
from conftest import Town
from tests.browser import test_dashboard_browser as dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The dashboards' browser, live server, strict policy and guarded page (tests/browser/test_dashboard_browser.py).
browser = dashboard.browser
server = dashboard.server
strict_csp = dashboard.strict_csp
page = dashboard.page

LIST = "/desk/alerts/"
CANVAS = "[data-testid=commune-map-canvas]"
TILE = (Path(dashboard.__file__).resolve().parents[2] / "stats/static/vendor/leaflet/images/layers.png").read_bytes()


def report(town: Town, days_ago: int, latitude: float | None, longitude: float | None, category: str = "cambriolage") -> Alert:
    return Alert.objects.create(
        commune=town.commune, kind=AlertKind.REPORT, category=category, description="Porte fracturée",
        occurred_at=timezone.now() - timedelta(days=days_ago), status=AlertStatus.APPROVED, latitude=latitude,
        longitude=longitude, address="12 chemin des Oliviers",
    )  # fmt: skip


@pytest.fixture
def reports(saint_paul: Town, charleville: Town) -> list[Alert]:
    """Two alerts a few metres apart (one point), one elsewhere in the commune, one without a place, one in 08."""
    found = [
        report(saint_paul, 1, 43.69687, 7.12212),
        report(saint_paul, 2, 43.69712, 7.12238, "vol"),
        report(saint_paul, 3, 43.70512, 7.11013, "vehicule_suspect"),
        report(saint_paul, 4, None, None),
    ]
    report(charleville, 1, 49.77, 4.72)
    return found


def drawn(page: Page) -> None:
    """Leaflet has taken the box: shown, sized, its controls in French."""
    canvas = page.locator(CANVAS)
    expect(canvas).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    expect(canvas.locator(".leaflet-control-scale-line")).to_be_visible()
    expect(canvas.get_by_role("button", name="Zoom avant")).to_be_visible()
    expect(canvas.locator("path.commune-map__outline")).to_have_count(1)


def test_a_gendarme_reads_the_area_on_the_map(page: Page, reports: list[Alert], gendarme_06: Any) -> None:
    dashboard.sign_in(page, str(gendarme_06.phone), LIST)
    expect(page.get_by_role("heading", level=1)).to_have_text("Signalements du secteur")
    expect(page.locator("[data-testid=gendarmerie-alerts] tbody tr")).to_have_count(4)  # not Charleville's
    drawn(page)
    expect(page.get_by_role("region", name=re.compile("^Carte des signalements filtrés"))).to_be_visible()
    points = page.locator(f"{CANVAS} path.commune-map__point")
    expect(points).to_have_count(2)  # the two neighbours share a rounded point; the one without a place is left out
    radii = [p.bounding_box()["width"] for p in points.all()]  # type: ignore[index]
    assert radii[0] > radii[1] > 0  # two alerts draw a bigger circle than one
    assert page.locator(f"{CANVAS} img.leaflet-tile").count() == 0  # no tile server configured: no tiles
    assert "43.69687" not in page.content() and "12 chemin des Oliviers" not in page.content()

    page.set_viewport_size(dashboard.PHONE)
    points.nth(1).click()  # the lone alert: its popup links to it
    popup = page.locator(".leaflet-popup")
    expect(popup.get_by_role("button", name="Fermer")).to_be_visible()
    page.set_viewport_size(dashboard.DESKTOP)
    dashboard.at_both_widths(page, "gendarmerie-signalements")
    popup.get_by_role("link", name=re.compile("^Véhicule suspect, le ")).click()
    page.wait_for_url(f"**{LIST}{reports[2].pk}/")
    expect(page.get_by_test_id("gendarmerie-alert")).to_contain_text("43.705, 7.11")
    drawn(page)
    expect(page.locator(f"{CANVAS} path.commune-map__point")).to_have_count(1)
    dashboard.at_both_widths(page, "gendarmerie-signalement")


def test_the_filters_redraw_the_map_and_say_what_is_wrong(page: Page, reports: list[Alert], gendarme_06: Any) -> None:
    dashboard.sign_in(page, str(gendarme_06.phone), LIST)
    page.get_by_label("Catégorie").select_option("vol")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_url(re.compile(r"categorie=vol"))
    expect(page.locator("[data-testid=gendarmerie-alerts] tbody tr")).to_have_count(1)
    expect(page.locator(f"{CANVAS} path.commune-map__point")).to_have_count(1)
    answer = page.goto(f"{LIST}?du=2025-05-01&au=2025-04-01")
    assert answer is not None and answer.status == 400
    field = page.get_by_label("au (inclus)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("La fin de la période précède son début.")).to_be_visible()
    dashboard.at_both_widths(page, "gendarmerie-filtre-invalide")


def test_tiles_come_only_from_the_configured_server(page: Page, reports: list[Alert], gendarme_06: Any, settings: Any,
                                                    server: Any) -> None:  # fmt: skip
    # A tile server on this machine (the live server's own address, which the strict policy allows), answered here.
    settings.MAP_TILE_URL = f"{server.url}/tuiles/{{z}}/{{x}}/{{y}}.png"
    settings.MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors <b>test</b>"
    served: list[str] = []

    def tile(route: Route) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE)

    page.route("**/tuiles/**", tile)
    dashboard.sign_in(page, str(gendarme_06.phone), LIST)
    drawn(page)
    expect(page.locator(f"{CANVAS} img.leaflet-tile-loaded").first).to_be_visible()
    assert served and all(re.search(r"/tuiles/\d+/\d+/\d+\.png$", url) for url in served)
    attribution = page.locator(f"{CANVAS} .leaflet-control-attribution")
    expect(attribution).to_have_text("© OpenStreetMap contributors <b>test</b>")  # the setting as text, not HTML


def test_without_javascript_the_table_alone_reads(browser: Browser, server: Any, reports: list[Alert], gendarme_06: Any) -> None:
    context = browser.new_context(locale="fr-FR", viewport=dashboard.PHONE, base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    dashboard.sign_in(page, str(gendarme_06.phone), LIST)
    expect(page.locator(CANVAS)).to_be_hidden()
    table = page.get_by_test_id("commune-map-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("2 signalements à cet endroit")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= dashboard.PHONE["width"]
    dashboard.screenshot(page, "gendarmerie-sans-javascript-390.png")
    context.close()
