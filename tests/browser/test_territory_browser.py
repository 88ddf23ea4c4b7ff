"""A real headless Chromium signs a gendarme of the 06 in and reads the département's dashboard on a desktop and a
390 px phone: the tables scroll inside their boxes (never the page), Leaflet draws each enrolled commune under the
strict Content-Security-Policy, the export links are there. Screenshots go to var/screenshots/.
"""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from conftest import Town
from stats.tests.territory_scene import build
from tests.browser import test_dashboard_browser as dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser = dashboard.browser
server = dashboard.server
strict_csp = dashboard.strict_csp
page = dashboard.page

PAGE = "/desk/territoire/departement/06/tableau/"


def test_a_gendarme_reads_the_departement_s_dashboard_on_a_desktop_and_a_phone(
    page: Page, saint_paul: Town, charleville: Town, gendarme_06: User, settings: Any
) -> None:
    build(saint_paul, charleville)
    dashboard.sign_in(page, str(gendarme_06.phone), PAGE)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tableau du territoire")
    communes = page.get_by_test_id("territory-communes")
    expect(communes.locator("tbody tr")).to_have_count(3)  # Cagnes, Saint-Paul, Vence; never Charleville
    expect(communes).to_contain_text("Saint-Paul-de-Vence")
    canvas = page.locator("[data-testid=commune-map-canvas]")
    expect(canvas).to_have_class(re.compile(r"\bleaflet-container\b"))
    expect(page.locator("path.commune-map__outline")).to_have_count(3)
    expect(page.locator("path.commune-map__point")).to_have_count(3)
    expect(page.get_by_test_id("export-csv")).to_have_attribute("href", re.compile(r"departement=06"))
    dashboard.at_both_widths(page, "territoire-departement-06")
    page.set_viewport_size(dashboard.PHONE)
    wide = page.evaluate("""() => [...document.querySelectorAll('table[data-testid^="territory-"]')]
        .map(t => t.closest('.table-scroll').clientWidth)""")
    assert wide and max(wide) <= dashboard.PHONE["width"]
