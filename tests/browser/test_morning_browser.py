"""A morning at the town hall, in a real headless Chromium, as its users live it.

A resident reports from the phone app (the API, over HTTP to the live server); the report waits in the mayor's
queue; the mayor approves it and the report's page shows the push gone to the other members; the mayor writes a
warning, sees whom it will reach and what its SMS will cost before sending, sends it and watches the live
report; a referent finds the members' roles read-only; a gendarme of the area finds the alert in the list and on
the map. Every page under the strict Content-Security-Policy, with nothing asked from outside the server and no
console error (the guarded page of test_dashboard_browser.py). Screenshots at 1280 and 390 px in var/screenshots/.
"""

import json
import re
from typing import Any
from urllib.request import Request, urlopen

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuthToken, User
from alerts.models import Alert, AlertKind, AlertStatus
from conftest import Town
from notifications.models import Delivery
from tests.browser import test_dashboard_browser as dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The dashboards' browser, live server, strict policy and guarded page (tests/browser/test_dashboard_browser.py).
browser = dashboard.browser
server = dashboard.server
strict_csp = dashboard.strict_csp
page = dashboard.page

REPORT = "Deux personnes essaient d'ouvrir les portails du chemin des Oliviers avec un pied-de-biche."
WARNING_TITLE = "Démarchage frauduleux"
WARNING_TEXT = "De faux agents des eaux se présentent aux portes ce matin : la mairie n'a mandaté personne."


def api(server: Any, user: User, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """The phone app: JSON over HTTP to the live server, signed in with a device token."""
    _, key = AuthToken.objects.issue(user, "Téléphone de démonstration")
    # The live server's own address (http://localhost:…).
    request = Request(f"{server.url}/api/v1{path}", method=method, data=json.dumps(body or {}).encode(),  # noqa: S310
                      headers={"Authorization": f"Token {key}", "Content-Type": "application/json"})  # fmt: skip
    with urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.status, json.loads(answer.read() or b"null")


@pytest.fixture
def town(saint_paul: Town, server: Any) -> Town:
    """Saint-Paul enrolled; two residents with the app on their phone (one the reporter)."""
    saint_paul.commune.enrolled = True
    saint_paul.commune.save(update_fields=["enrolled"])
    for n, person in enumerate([saint_paul.resident, saint_paul.resident2]):
        status, _ = api(server, person, "POST", "/devices", {"fcm_token": f"fcm-token-{n}", "platform": "android"})
        assert status == 201
    return saint_paul


def the_residents_report(server: Any, town: Town) -> Alert:
    status, body = api(server, town.resident, "POST", "/alerts", {
        "commune": "06128", "category": "cambriolage", "description": REPORT, "latitude": 43.69712,
        "longitude": 7.12238,
    })  # fmt: skip
    assert status == 201 and body["status"] == "pending", body
    return Alert.objects.get(pk=body["id"])


def open_section(page: Page, name: str) -> None:
    page.get_by_role("navigation", name=re.compile("Bureau de la mairie")).get_by_role("link", name=name).click()


def test_a_morning_at_the_town_hall(page: Page, server: Any, town: Town, gendarme_06: User) -> None:
    report = the_residents_report(server, town)

    # The mayor opens the desk: the report waits in the queue, the newest decision still to make.
    dashboard.sign_in(page, str(town.mayor.phone), "/desk/communes/06128/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    dashboard.at_both_widths(page, "matin-01-a-traiter")
    open_section(page, "Signalements")
    row = page.get_by_test_id("queue-row").filter(has_text="chemin des Oliviers")
    expect(row).to_be_visible()
    dashboard.at_both_widths(page, "matin-02-file-de-moderation")

    # Approved from its page: published, and the push gone to the member with the app who did not report it.
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("report-text")).to_contain_text("pied-de-biche")
    page.get_by_role("button", name="Publier le signalement").click()
    expect(page.get_by_text(re.compile("publié", re.IGNORECASE)).first).to_be_visible()
    report.refresh_from_db()
    assert report.status == AlertStatus.APPROVED and report.moderated_by_id == town.mayor.pk
    page.goto(f"/desk/communes/06128/reports/{report.pk}/")
    push_sent = page.get_by_test_id("deliveries").get_by_role("row", name=re.compile("Notification")).get_by_role("cell").first
    expect(push_sent).to_have_text("1")
    assert Delivery.objects.filter(message__source_id=report.pk, channel="push", user=town.resident2).exists()
    dashboard.at_both_widths(page, "matin-03-signalement-publie")

    # A warning: whom it reaches and what its SMS costs, shown before anything goes; then the live report.
    open_section(page, "Messages aux habitants")
    page.get_by_role("link", name="Nouveau message").click()
    page.get_by_label("Titre").fill(WARNING_TITLE)
    page.get_by_label("Texte").fill(WARNING_TEXT)
    for channel in page.get_by_role("group", name=re.compile("Canaux")).get_by_role("checkbox").all():
        channel.check()
    page.get_by_role("button", name="Prévisualiser l'envoi").click()
    expect(page.get_by_text(re.compile(r"Ce message atteindra \d+ personnes?\."))).to_be_visible()
    expect(page.get_by_text("Coût estimé")).to_be_visible()
    assert not Alert.objects.filter(kind=AlertKind.BROADCAST).exists()  # nothing sent by the preview
    dashboard.at_both_widths(page, "matin-04-apercu-du-message")
    page.get_by_role("button", name=re.compile(r"Envoyer à \d+ personnes?")).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    warning = Alert.objects.get(kind=AlertKind.BROADCAST)
    assert warning.title == WARNING_TITLE and warning.reporter_id == town.mayor.pk
    expect(page.locator("[aria-live]").first).to_be_visible()
    dashboard.at_both_widths(page, "matin-05-suivi-du-message")
    dashboard.sign_out_through_the_menu(page)

    # The referent moderates but does not hand out roles.
    dashboard.sign_in(page, str(town.referent.phone), "/desk/communes/06128/members/")
    members = page.get_by_role("main")
    expect(members.get_by_text(str(town.resident.display_name)).first).to_be_visible()
    expect(members.get_by_role("combobox", name=re.compile("^Rôle de "))).to_have_count(0)  # the mayor's has one a member
    expect(members.get_by_role("cell", name=re.compile("^maire ou adjoint$", re.IGNORECASE))).to_be_visible()
    dashboard.at_both_widths(page, "matin-06-membres-vus-par-une-referente")
    dashboard.sign_out_through_the_menu(page)

    # The gendarme of the area: the alert in the list and a circle on the map; never the reporter.
    dashboard.sign_in(page, str(gendarme_06.phone), "/desk/alerts/")
    expect(page.get_by_role("link", name=re.compile("Cambriolage|Porte|Oliviers|pied-de-biche")).first).to_be_visible()
    expect(page.locator("[data-testid=commune-map-canvas] path.leaflet-interactive").first).to_be_visible()
    assert str(town.resident.display_name) not in page.content()
    dashboard.at_both_widths(page, "matin-07-gendarmerie")
