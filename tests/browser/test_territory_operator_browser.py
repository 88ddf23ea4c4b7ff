"""A real headless Chromium as an intercommunality's operator: its territory's page, enrolling a commune with its
first mayor, one flood warning to two communes (preview, then send), then anyone reading the commune's public yearly
balance. Screenshots at 1280 and 390 px go to var/screenshots/; at 390 px nothing is wider than the screen.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from communes.models import Commune
from conftest import NICE_METROPOLE, Town, make_town
from risks.models import RiskWarning
from tests.browser import test_dashboard_browser as dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser = dashboard.browser
server = dashboard.server
strict_csp = dashboard.strict_csp
page = dashboard.page

TERRITORY = f"/desk/territories/epci/{NICE_METROPOLE}/"


def at_both_widths(page: Page, name: str) -> None:
    page.set_viewport_size(dashboard.DESKTOP)
    dashboard.screenshot(page, f"{name}-1280.png")
    page.set_viewport_size(dashboard.PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= dashboard.PHONE["width"], name
    dashboard.screenshot(page, f"{name}-390.png")
    page.set_viewport_size(dashboard.DESKTOP)


def test_an_operator_enrols_a_commune_and_warns_two(page: Page, saint_paul: Town, operator_nca: User,
                                                    settings: Any) -> None:  # fmt: skip
    Commune.objects.filter(pk=saint_paul.commune.pk).update(enrolled=True, enrolled_at=timezone.now() - timedelta(days=30))
    vence = make_town("06157", "Vence", "06", latitude=43.7225, longitude=7.1119)
    Commune.objects.filter(pk=vence.commune.pk).update(epci_siren=NICE_METROPOLE, enrolled=False)

    dashboard.sign_in(page, str(operator_nca.phone), TERRITORY)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Métropole Nice Côte d'Azur")
    at_both_widths(page, "territoire-operateur")

    form = page.locator("form[action$='enrol/']")
    form.locator("[name=insee]").fill("06157")
    form.locator("[name=mayor_phone]").fill("06 12 34 56 78")
    form.locator("[name=mayor_name]").fill("Maire de Vence")
    form.get_by_role("button", name="Inscrire la commune").click()
    expect(page.locator("table")).to_contain_text("Maire de Vence")
    assert Commune.objects.get(pk=vence.commune.pk).enrolled

    page.goto("/desk/area-warnings/new/")
    page.locator("input[name=communes][value='06128']").check()
    page.locator("input[name=communes][value='06157']").check()
    page.locator("[name=title]").fill("Crue du Loup")
    page.locator("[name=description]").fill("Le Loup déborde de Gréolières à la mer.")
    expires = timezone.localtime(timezone.now() + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    page.locator("[name=expires_at]").fill(expires)
    at_both_widths(page, "avis-plusieurs-communes")
    page.get_by_role("button", name="Prévisualiser l'envoi").click()
    send = page.get_by_role("button", name="Envoyer à")
    expect(send).to_be_visible()
    at_both_widths(page, "avis-plusieurs-communes-apercu")
    send.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    at_both_widths(page, "avis-plusieurs-communes-envoye")
    assert set(RiskWarning.objects.values_list("commune__insee", flat=True)) == {"06128", "06157"}

    page.goto(f"/bilan/06128/{timezone.localdate().year}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Saint-Paul-de-Vence")
    at_both_widths(page, "bilan-commune")
