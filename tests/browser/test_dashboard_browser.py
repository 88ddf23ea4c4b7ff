"""A real headless Chromium (Debian's, driven by Playwright) signs a mayor in and reads the commune page.

Checks what only a browser shows: the SMS-code sign-in through real forms and cookies, the chart actually
drawn by Chart.js (pixels on the canvas), the table after it holding the service's numbers, the map, and
that the page asks nothing from outside the server (a closed network). Screenshots go to var/screenshots/.
"""

import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, Page, sync_playwright

from alerts.models import Alert, AlertKind, AlertStatus
from conftest import Town
from notifications.models import ConsoleMessage
from stats import services
from stats.periods import DateRange, Granularity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
YEAR = timezone.localdate().year


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
        # ORM calls made while Playwright's loop ran opened their own connection: close it, or the test
        # database cannot be dropped at the end of the session.
        connections.close_all()


@pytest.fixture(scope="session")
def server(django_db_setup: None, live_server: Any) -> Any:
    """The live server, started after the test database so that it is stopped before the database is dropped."""
    return live_server


@pytest.fixture
def page(browser: Browser, server: Any) -> Iterator[Page]:
    """A French, 1280 px wide page that refuses (and records) any request leaving the live server."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, base_url=server.url)
    outside: list[str] = []
    served_by = urlsplit(server.url).netloc

    def only_ours(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == served_by:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_ours)
    page = context.new_page()
    yield page
    context.close()
    assert outside == [], f"the page asked for outside resources: {outside}"


def report(town: Town, category: str, month: int, year: int = YEAR, **position: float) -> None:
    Alert.objects.create(
        commune=town.commune, kind=AlertKind.REPORT, category=category, description="Porte fracturée",
        occurred_at=timezone.make_aware(datetime(year, month, 12, 3, 0)), status=AlertStatus.APPROVED, **position,
    )  # fmt: skip


@pytest.fixture
def reports(saint_paul: Town) -> None:
    """January's alerts this year and last, so that every month shown this year is a month begun."""
    for lat, lon in [(43.6971, 7.1221), (43.6975, 7.1229), (43.7051, 7.1101)]:
        report(saint_paul, "cambriolage", 1, latitude=lat, longitude=lon)
    report(saint_paul, "tentative_cambriolage", 1)
    report(saint_paul, "vehicule_suspect", 1, latitude=43.6861, longitude=7.1302)
    for month in (1, 1, 4, 11):
        report(saint_paul, "cambriolage", month, year=YEAR - 1)


def whole(year: int) -> DateRange:
    return DateRange(date(year, 1, 1), date(year, 12, 31))


def sign_in(page: Page, phone: str, then: str) -> None:
    page.goto(f"/dashboard/login/?next={then}")
    page.get_by_label("Numéro de téléphone mobile").fill(phone)
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    page.wait_for_url("**/dashboard/login/code/")
    body = ConsoleMessage.objects.filter(channel="sms").latest("created_at").body
    page.get_by_label("Code reçu par SMS").fill(re.search(r"\b(\d{6})\b", body).group(1))
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**{then}")


def painted_pixels(page: Page, canvas: str) -> int:
    """How many pixels of the canvas are not transparent: zero if Chart.js drew nothing."""
    return page.eval_on_selector(canvas, """c => {
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) n++; } return n; }""")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


def test_a_mayor_signs_in_and_sees_the_chart_and_its_numbers(page: Page, saint_paul: Town, reports: None) -> None:
    sign_in(page, "0" + str(saint_paul.mayor.phone)[3:], "/dashboard/communes/06128/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Saint-Paul-de-Vence"

    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('graphique-cambriolages'))")
    page.wait_for_timeout(500)  # the bars' short animation
    assert painted_pixels(page, "#graphique-cambriolages") > 2_000
    assert painted_pixels(page, "#graphique-categories") > 2_000

    expected = services.commune_statistics(saint_paul.commune, whole(YEAR), Granularity.MONTH)
    last = services.category_series(saint_paul.commune, whole(YEAR - 1), Granularity.MONTH)
    rows = page.locator("#tableau-cambriolages tbody tr")
    assert rows.count() == 12
    january = rows.nth(0).locator("td").all_inner_texts()
    assert january == [str(expected["series"][0]["burglaries"]), str(last[0]["burglaries"])] == ["4", "2"]
    assert rows.nth(3).locator("td").all_inner_texts()[1] == str(last[3]["burglaries"]) == "1"
    assert page.get_by_test_id("total-this-year").inner_text() == str(expected["totals"]["burglaries"])
    drawn = page.evaluate("() => Chart.getChart(document.getElementById('graphique-cambriolages')).data.datasets[1].data")
    assert drawn == [item["burglaries"] for item in last]

    assert page.locator("[data-testid=alert-map] circle").count() == 3  # four positions, two in one cell
    screenshot(page, "commune-06128.png")


def test_the_yearly_account_prints_and_the_departement_page_offers_exports(
    page: Page, saint_paul: Town, gendarme_06: Any, reports: None
) -> None:
    sign_in(page, str(saint_paul.mayor.phone), f"/dashboard/communes/06128/bilan/{YEAR}/")
    assert page.get_by_role("button", name="Imprimer ou enregistrer en PDF").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Imprimer ou enregistrer en PDF").is_visible()
    screenshot(page, f"bilan-06128-{YEAR}-print.png")
    page.emulate_media(media="screen")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/dashboard/login/")

    sign_in(page, str(gendarme_06.phone), "/dashboard/departements/06/")
    assert page.locator("[data-testid=ranking-table] tbody tr").first.get_attribute("data-insee") == "06128"
    assert "format=csv" in page.get_by_test_id("export-csv").get_attribute("href")
    screenshot(page, "departement-06.png")
