"""A real headless Chromium (Debian's, driven by Playwright) signs a mayor in and reads the commune page.

Checks what only a browser shows: the SMS-code sign-in through real forms and cookies, the chart actually
drawn by Chart.js (pixels on the canvas), the table after it holding the service's numbers, the map (Leaflet), that
the page asks nothing from outside the server (a closed network) and logs no error in the console under a
Content-Security-Policy of `default-src 'self'` alone; the deployment's brand, the menu and its sign-out
button on a 390 px phone, the French error pages. Screenshots (1280 and 390 px) go to var/screenshots/.
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
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize, expect, sync_playwright

from alerts.models import Alert, AlertKind, AlertStatus
from conftest import Town
from providers.models import ConsoleMessage as SentMessage
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
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# The strictest policy the project may apply: nothing inline, nothing from elsewhere, not even data: images.
STRICT_CSP = {"DIRECTIVES": {"default-src": ["'self'"]}}
BRAND = {
    "BRAND_NAME": "Vigilance Saint-Paul",
    "BRAND_OPERATOR": "Commune de Saint-Paul-de-Vence",
    "BRAND_PRIMARY_COLOR": "#8b1e3f",
    "BRAND_LEGAL_URL": "/mentions-legales/",
    "BRAND_LOGO_URL": "/static/dashboard/favicon.svg",  # any image this site serves
}


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


@pytest.fixture(autouse=True)
def strict_csp(settings: Any) -> None:
    settings.CONTENT_SECURITY_POLICY = STRICT_CSP


@pytest.fixture
def brand(settings: Any) -> dict[str, str]:
    for name, value in BRAND.items():
        setattr(settings, name, value)
    return BRAND


@pytest.fixture
def page(browser: Browser, server: Any) -> Iterator[Page]:
    """A French, 1280 px wide page that refuses (and records) any request leaving the live server.

    At the end, nothing may have gone outside and the console may hold no error: no script error, no
    resource refused by the Content-Security-Policy, no missing file. An error page the test opened on
    purpose (a 403, a 404) is the one "failed to load" message allowed, for that document only.
    """
    # Reduced motion: the charts are drawn at once (charts.js honours it), so screenshots never catch a bar mid-way.
    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=server.url, reduced_motion="reduce")
    outside: list[str] = []
    errors: list[str] = []
    error_documents: set[str] = set()
    served_by = urlsplit(server.url).netloc

    def only_ours(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == served_by:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.location.get('url')}: {message.text}")

    def on_response(response: Response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            error_documents.add(response.url)

    context.route("**/*", only_ours)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("response", on_response)
    yield page
    context.close()
    assert outside == [], f"the page asked for outside resources: {outside}"
    unexpected = [e for e in errors if not any(e.startswith(f"{url}: Failed to load resource") for url in error_documents)]
    assert unexpected == [], f"errors in the console: {unexpected}"


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
    body = SentMessage.objects.filter(channel="sms").latest("created_at").body
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    page.get_by_label("Code reçu par SMS").fill(code.group(1))
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


# Every chart as wide as its box: Chart.js has followed the viewport.
REDRAWN = """() => [...document.querySelectorAll("canvas[data-chart]")]
    .every(c => Math.abs(c.getBoundingClientRect().width - c.parentElement.clientWidth) < 2)"""


def at_both_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 px nothing may be wider than the screen (no sideways scroll)."""
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-1280.png")
    page.set_viewport_size(PHONE)
    # Nothing may stick out, even before Chart.js has redrawn to the new width (it does on a later frame).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], name
    page.wait_for_function(REDRAWN, polling=100, timeout=5_000)
    screenshot(page, f"{name}-390.png")
    page.set_viewport_size(DESKTOP)


def sign_out_through_the_menu(page: Page) -> None:
    sign_out = page.get_by_role("button", name="Se déconnecter")
    expect(sign_out).to_be_hidden()  # folded in the menu until it is opened
    page.get_by_text("Menu", exact=True).click()
    expect(sign_out).to_be_visible()
    sign_out.click()
    page.wait_for_url("**/dashboard/login/")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def test_a_mayor_signs_in_and_sees_the_chart_and_its_numbers(page: Page, saint_paul: Town, reports: None) -> None:
    sign_in(page, "0" + str(saint_paul.mayor.phone)[3:], "/dashboard/communes/06128/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Saint-Paul-de-Vence"

    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('graphique-cambriolages'))")
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

    # Leaflet's map: the commune's outline and one circle per cell (four positions, two in one cell).
    expect(page.locator("[data-testid=commune-map-canvas] path.commune-map__outline")).to_have_count(1)
    expect(page.locator("[data-testid=commune-map-canvas] path.commune-map__point")).to_have_count(3)
    at_both_widths(page, "commune-06128")


def test_the_yearly_account_prints_and_the_departement_page_offers_exports(
    page: Page, saint_paul: Town, gendarme_06: Any, reports: None
) -> None:
    sign_in(page, str(saint_paul.mayor.phone), f"/dashboard/communes/06128/bilan/{YEAR}/")
    assert page.get_by_role("button", name="Imprimer ou enregistrer en PDF").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Imprimer ou enregistrer en PDF").is_visible()
    screenshot(page, f"bilan-06128-{YEAR}-print.png")
    page.emulate_media(media="screen")
    at_both_widths(page, f"bilan-06128-{YEAR}")
    sign_out_through_the_menu(page)

    sign_in(page, str(gendarme_06.phone), "/dashboard/departements/06/")
    assert page.locator("[data-testid=ranking-table] tbody tr").first.get_attribute("data-insee") == "06128"
    href = page.get_by_test_id("export-csv").get_attribute("href")
    assert href is not None and "format=csv" in href
    at_both_widths(page, "departement-06")
    page.goto("/dashboard/")
    expect(page.get_by_role("link", name=re.compile(r"\(06\)"))).to_be_visible()  # the département's tile
    at_both_widths(page, "accueil-gendarmerie")


def test_on_a_phone_the_brand_shows_and_the_menu_signs_out(page: Page, saint_paul: Town, reports: None, brand: Any) -> None:
    answer = page.goto("/dashboard/login/")
    assert answer is not None and answer.headers["content-security-policy"] == "default-src 'self'"
    at_both_widths(page, "login")
    page.set_viewport_size(PHONE)
    sign_in(page, str(saint_paul.mayor.phone), "/dashboard/communes/06128/")
    header = page.get_by_role("banner")
    expect(header).to_contain_text("Vigilance Saint-Paul")
    expect(header).to_contain_text("Commune de Saint-Paul-de-Vence")
    assert page.eval_on_selector(".site-brand__name", "e => getComputedStyle(e).color") == "rgb(139, 30, 63)"
    assert page.eval_on_selector(".site-brand__logo", "img => img.complete && img.naturalWidth > 0")
    legal = page.get_by_role("contentinfo").get_by_role("link", name="Mentions légales")
    expect(legal).to_have_attribute("href", "/mentions-legales/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_text("Menu", exact=True).click()
    sign_out = page.get_by_role("button", name="Se déconnecter")
    expect(sign_out).to_be_in_viewport(ratio=1)  # the whole button, on the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "menu-open-390.png")
    sign_out.click()
    page.wait_for_url("**/dashboard/login/")
    expect(page.get_by_text("Vous êtes déconnecté.")).to_be_visible()


def test_the_keyboard_starts_on_a_visible_skip_link(page: Page, db: None) -> None:
    page.goto("/dashboard/login/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("#contenu") and page.evaluate("() => document.activeElement.id") == "contenu"
    for target in (page.get_by_label("Numéro de téléphone mobile"), page.get_by_role("button", name="Recevoir un code par SMS")):
        page.keyboard.press("Tab")
        expect(target).to_be_focused()
        assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"


def test_a_mayor_gets_the_french_403_and_404_pages(page: Page, saint_paul: Town, brand: Any) -> None:
    sign_in(page, str(saint_paul.mayor.phone), "/dashboard/communes/06128/")
    for path, status, title, name in [
        ("/dashboard/departements/06/", 403, "Accès refusé", "erreur-403"),
        ("/dashboard/nulle-part/", 404, "Page introuvable", "erreur-404"),
    ]:
        answer = page.goto(path)
        assert answer is not None and answer.status == status, path
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_role("banner")).to_contain_text("Vigilance Saint-Paul")
        assert "Forbidden" not in page.content() and "Not Found" not in page.content()
        assert "system-ui" in page.evaluate("() => getComputedStyle(document.body).fontFamily")  # Pico is applied
        at_both_widths(page, name)
    expect(page.get_by_text("réservées à la gendarmerie", exact=False)).to_have_count(0)  # the 404 says nothing of it
    page.goto("/dashboard/departements/06/")
    expect(page.get_by_text("Les pages départementales sont réservées à la gendarmerie")).to_be_visible()
    page.set_viewport_size(PHONE)
    sign_out_through_the_menu(page)


def test_the_other_pages_log_no_error_either(page: Page, saint_paul: Town, reports: None) -> None:
    """The pages no other test opens: the index, the staff's password form, the refusal shown to a resident."""
    page.goto("/dashboard/login/password/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion de l’équipe Vigilants")
    page.goto("/dashboard/login/")
    page.get_by_label("Numéro de téléphone mobile").fill(str(saint_paul.resident.phone))
    page.get_by_role("button", name="Recevoir un code par SMS").click()
    page.wait_for_url("**/dashboard/login/code/")
    body = SentMessage.objects.filter(channel="sms").latest("created_at").body
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    page.get_by_label("Code reçu par SMS").fill(code.group(1))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès réservé")
    at_both_widths(page, "acces-reserve")

    sign_in(page, str(saint_paul.mayor.phone), "/dashboard/")
    expect(page.get_by_role("link", name="Saint-Paul-de-Vence")).to_be_visible()
    at_both_widths(page, "accueil")
