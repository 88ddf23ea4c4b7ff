"""The dashboards: session sign-in by SMS code or staff password, who sees which page, the numbers shown."""

import json
import os
import re
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest
from django.http import StreamingHttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone
from django.views.defaults import server_error

from accounts import staff_auth
from accounts.models import User
from alerts.models import Alert, AlertKind, AlertStatus
from communes.models import GendarmeArea
from conftest import Town
from providers.models import ConsoleMessage
from stats.aggregates import BURGLARIES
from stats.branding import contrast_on_white, readable_on_white
from stats.models import GeographyLevel, OfficialFigure
from tests.factories import CommuneFactory, UserFactory

YEAR = timezone.localdate().year


def alert(town: Town, category: str, month: int, year: int = YEAR, status: str = AlertStatus.APPROVED, **extra: Any) -> Alert:
    when = timezone.make_aware(datetime(year, month, 10, 14, 0))
    return Alert.objects.create(
        commune=town.commune, category=category, description="Porte fracturée", occurred_at=when, status=status,
        kind=AlertKind.REPORT, reporter=town.resident, **extra,
    )  # fmt: skip


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def last_code() -> str:
    body = ConsoleMessage.objects.filter(channel="sms").latest("created_at").body
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    return code.group(1)


# --- Sign-in -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_signs_a_mayor_in_with_the_sms_code_and_back_out(saint_paul: Town) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/dashboard/login/?next=/dashboard/communes/06128/")
    assert page.status_code == 200 and 'lang="fr"' in page.content.decode()
    csrf = page.cookies["csrftoken"].value
    national = "0" + str(saint_paul.mayor.phone)[3:]  # +33612… typed as 0612…
    sent = client.post("/dashboard/login/", {"phone": national, "csrfmiddlewaretoken": csrf})
    assert sent.status_code == 302 and sent["Location"] == "/dashboard/login/code/"
    signed = client.post("/dashboard/login/code/", {"code": last_code(), "csrfmiddlewaretoken": csrf})
    assert signed.status_code == 302 and signed["Location"] == "/dashboard/communes/06128/"
    assert client.get("/dashboard/communes/06128/").status_code == 200
    csrf = client.cookies["csrftoken"].value
    assert client.post("/dashboard/logout/", {"csrfmiddlewaretoken": csrf}).status_code == 302
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_post_without_the_csrf_token(saint_paul: Town) -> None:
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone})
    assert refused.status_code == 403 and "Le formulaire a expiré" in refused.content.decode()
    assert "CSRF verification failed" not in refused.content.decode()
    assert not ConsoleMessage.objects.exists()


@pytest.mark.django_db
def test_it_tells_a_resident_in_french_that_the_dashboards_are_not_for_them(saint_paul: Town) -> None:
    client = Client()
    client.post("/dashboard/login/", {"phone": saint_paul.resident.phone})
    refused = client.post("/dashboard/login/code/", {"code": last_code()})
    assert refused.status_code == 403
    assert "ne sont pas ouverts aux habitants" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_a_wrong_code_is_refused_and_counted(saint_paul: Town) -> None:
    client = Client()
    client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    answer = client.post("/dashboard/login/code/", {"code": wrong})
    assert answer.status_code == 400 and "Code incorrect" in answer.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_shares_the_apps_per_number_throttle(saint_paul: Town) -> None:
    client = Client()
    for _ in range(3):
        assert client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone}).status_code == 302
    throttled = client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone})
    assert throttled.status_code == 429 and "Trop de codes" in throttled.content.decode()
    assert ConsoleMessage.objects.count() == 3


@pytest.mark.django_db
def test_it_rejects_a_landline_with_a_french_message(db: None) -> None:
    answer = Client().post("/dashboard/login/", {"phone": "01 42 76 40 40"})
    assert answer.status_code == 400 and "pas un mobile" in answer.content.decode()


@pytest.mark.django_db
def test_staff_sign_in_with_a_password_but_a_mayor_cannot(staff: User, saint_paul: Town) -> None:
    device = staff_auth.enrol(staff)  # the password is followed by a TOTP code (see test_staff_signin.py)
    client = Client()
    answer = client.post("/dashboard/login/password/", {"username": "06 99 99 99 99", "password": "staff-password-123"})
    assert answer.status_code == 302 and answer["Location"] == "/dashboard/login/totp/"
    assert client.post("/dashboard/login/totp/", {"code": staff_auth.current_code(device)}).status_code == 302
    assert client.get("/dashboard/").status_code == 200
    saint_paul.mayor.set_password("mayor-password-123")
    saint_paul.mayor.save()
    refused = Client().post("/dashboard/login/password/", {"username": saint_paul.mayor.phone, "password": "mayor-password-123"})
    assert refused.status_code == 400 and "réservée à l" in refused.content.decode()


@pytest.mark.django_db
def test_the_next_parameter_never_leaves_the_site(saint_paul: Town) -> None:
    client = Client()
    client.get("/dashboard/login/?next=https://evil.example/")
    client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone})
    assert client.post("/dashboard/login/code/", {"code": last_code()})["Location"] == "/dashboard/"


# --- Who sees what -----------------------------------------------------------------------------


def who(name: str, saint_paul: Town, charleville: Town, gendarme_06: User, gendarme_08: User, staff: User) -> User:
    people = {"mayor": saint_paul.mayor, "referent": saint_paul.referent, "resident": saint_paul.resident,
              "other_mayor": charleville.mayor, "gendarme_06": gendarme_06, "gendarme_08": gendarme_08,
              "staff": staff}  # fmt: skip
    return people[name]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "commune_page", "departement_page"),
    [
        ("mayor", 200, 403),
        ("referent", 200, 403),
        ("resident", 403, 403),
        ("other_mayor", 404, 403),
        ("gendarme_06", 200, 200),
        ("gendarme_08", 404, 404),
        ("staff", 200, 200),
    ],
)
def test_each_role_sees_its_own_pages(name: str, commune_page: int, departement_page: int, personas: dict[str, Any]) -> None:
    client = signed_in(who(name, **personas))
    assert client.get("/dashboard/communes/06128/").status_code == commune_page
    assert client.get(f"/dashboard/communes/06128/bilan/{YEAR}/").status_code == commune_page
    assert client.get("/dashboard/departements/06/").status_code == departement_page


@pytest.fixture
def personas(saint_paul: Town, charleville: Town, gendarme_06: User, gendarme_08: User, staff: User) -> dict[str, Any]:
    return {"saint_paul": saint_paul, "charleville": charleville, "gendarme_06": gendarme_06,
            "gendarme_08": gendarme_08, "staff": staff}  # fmt: skip


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login(db: None) -> None:
    answer = Client().get("/dashboard/communes/06128/")
    assert answer.status_code == 302 and answer["Location"] == "/dashboard/login/?next=/dashboard/communes/06128/"


@pytest.mark.django_db
def test_the_index_lists_what_each_may_open(saint_paul: Town, charleville: Town, gendarme_06: User) -> None:
    mayor = signed_in(saint_paul.mayor).get("/dashboard/").content.decode()
    assert "/dashboard/communes/06128/" in mayor and "08105" not in mayor and "/dashboard/departements/" not in mayor
    gendarme = signed_in(gendarme_06).get("/dashboard/").content.decode()
    assert "/dashboard/departements/06/" in gendarme and "/dashboard/communes/06128/" in gendarme
    assert "08105" not in gendarme


# --- The numbers -------------------------------------------------------------------------------


@pytest.fixture
def burglaries(saint_paul: Town) -> None:
    """This year: 2 in March, 1 in May (+ a rejected and a pending one); last year: 1 in March; a vol."""
    alert(saint_paul, "cambriolage", 3, latitude=43.6971, longitude=7.1221)
    alert(saint_paul, "tentative_cambriolage", 3, latitude=43.6975, longitude=7.1229)
    alert(saint_paul, "cambriolage", 5, latitude=43.7051, longitude=7.1101)
    alert(saint_paul, "cambriolage", 5, status=AlertStatus.REJECTED)
    alert(saint_paul, "cambriolage", 6, status=AlertStatus.PENDING)
    alert(saint_paul, "cambriolage", 3, year=YEAR - 1)
    alert(saint_paul, "vol", 2)


def monthly_cells(html: str) -> list[tuple[str, int, int]]:
    table = html.split('data-testid="monthly-table"')[1].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', table)
    return [(month, int(this), int(last)) for month, this, last in rows]


@pytest.mark.django_db
def test_the_commune_page_shows_the_months_this_year_against_last(saint_paul: Town, burglaries: None) -> None:
    html = signed_in(saint_paul.mayor).get("/dashboard/communes/06128/").content.decode()
    cells = monthly_cells(html)
    assert cells[2] == ("mars", 2, 1) and cells[4] == ("mai", 1, 0) and cells[5] == ("juin", 0, 0)
    assert '<td data-testid="total-this-year">3</td>' in html and '<td data-testid="total-last-year">1</td>' in html
    assert 'id="donnees-cambriolages"' in html and "<caption>" in html and 'scope="col"' in html
    assert "/static/vendor/chartjs/chart.umd.js" in html and "/static/vendor/pico/pico.min.css" in html


def map_data(html: str) -> dict[str, Any]:
    """What map.js draws: the JSON in the map's figure."""
    figure = html.split('data-testid="commune-map"')[1]
    return json.loads(figure.split('<script type="application/json">')[1].split("</script>")[0])


@pytest.mark.django_db
def test_the_map_rounds_positions_so_that_no_house_is_identifiable(saint_paul: Town, burglaries: None) -> None:
    html = signed_in(saint_paul.mayor).get("/dashboard/communes/06128/").content.decode()
    table = html.split('data-testid="commune-map-table"')[1].split("</table>")[0]
    cells = re.findall(r'<th scope="row">([^<]+)</th><td>([\d.]+)</td><td>([\d.]+)</td>', table)
    assert cells == [("2 signalements", "43.695", "7.125"), ("1 signalement", "43.705", "7.115")]
    points = [(p["latitude"], p["longitude"], p["count"]) for p in map_data(html)["points"]]
    assert points == [(43.695, 7.125, 2), (43.705, 7.115, 1)]  # the map draws the table's cells, no more
    for precise in ("43.6971", "7.1221", "43.6975", "43.7051", "43,6971"):
        assert precise not in html
    assert "1 signalement sans position n’est pas sur la carte." in html  # the vol of February
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/maps/map.js" in html and "<svg" not in html


@pytest.mark.django_db
def test_the_official_figure_says_when_it_is_withheld_and_at_which_level(saint_paul: Town) -> None:
    figure = {"indicator": "Cambriolages de logement", "indicator_slug": "cambriolages_de_logement",
              "unite_de_compte": "infraction", "source": "test", "imported_at": timezone.now()}  # fmt: skip
    OfficialFigure.objects.create(level=GeographyLevel.DEPARTEMENT, code="06", year=2022, count=3474, **figure)
    OfficialFigure.objects.create(level=GeographyLevel.COMMUNE, code="06128", year=2023, withheld=True,
                                  complement_count="2.05", **figure)  # fmt: skip
    client = signed_in(saint_paul.mayor)
    html = client.get("/dashboard/communes/06128/").content.decode()
    assert "Non diffusé par le SSMSI pour 2023" in html and "est de 2,05" in html
    assert "département 06" in html and "3474" in html
    OfficialFigure.objects.create(level=GeographyLevel.COMMUNE, code="06128", year=2024, count=12,
                                  rate_per_thousand="4.8", **figure)  # fmt: skip
    html = client.get("/dashboard/communes/06128/").content.decode()
    assert "12 cambriolages de logement enregistrés en 2024" in html and "4,8 pour 1 000 logements" in html


@pytest.mark.django_db
def test_the_departement_ranks_communes_within_the_gendarmes_area(
    saint_paul: Town, charleville: Town, gendarme_06: User, burglaries: None
) -> None:
    vence = CommuneFactory.create(insee="06157", name="Vence", departement="06", population=19000)
    html = signed_in(gendarme_06).get(f"/dashboard/departements/06/?du={YEAR}-01&au={YEAR}-12").content.decode()
    ranking = html.split('data-testid="ranking-table"')[1].split("</table>")[0]
    assert re.findall(r'data-insee="(\w+)"', ranking) == ["06128", vence.insee]
    assert "08105" not in html
    assert '<td data-testid="ranking-total">3</td>' in html
    # The export is what the page shows: its period and its categories (burglaries and attempts by default).
    shown = "categories=cambriolage%2Ctentative_cambriolage"
    assert f"/api/v1/stats/export?departement=06&amp;from={YEAR}-01-01&amp;to={YEAR}-12-31&amp;{shown}&amp;format=csv" in html
    page = f"/dashboard/departements/06/?du={YEAR}-01&au={YEAR}-12&categorie="
    assert "categories=vol&amp;format=csv" in signed_in(gendarme_06).get(page + "vol").content.decode()
    assert "categories=" not in signed_in(gendarme_06).get(page + "all").content.decode()
    assert "format=xlsx" in html
    every = signed_in(gendarme_06).get(f"/dashboard/departements/06/?du={YEAR}-01&au={YEAR}-12&categorie=all").content.decode()
    assert '<td data-testid="ranking-total">4</td>' in every


@pytest.mark.django_db
def test_the_yearly_account_renders_for_print(saint_paul: Town, burglaries: None) -> None:
    answer = signed_in(saint_paul.mayor).get(f"/dashboard/communes/06128/bilan/{YEAR}/")
    html = answer.content.decode()
    assert answer.status_code == 200 and f"bilan {YEAR}" in html
    assert 'media="print"' in html and "3 cambriolages ou tentatives signalés" in html
    assert "3 habitants inscrits" not in html and "4 habitants inscrits" in html  # the applicant is pending
    assert signed_in(saint_paul.mayor).get("/dashboard/communes/06128/bilan/1990/").status_code == 404


@pytest.mark.django_db
def test_a_new_user_signing_in_is_not_let_in(db: None) -> None:
    phone = UserFactory.build().phone
    client = Client()
    client.post("/dashboard/login/", {"phone": phone})
    assert client.post("/dashboard/login/code/", {"code": last_code()}).status_code == 403


# --- The same numbers as the API -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_commune_page_shows_the_apis_numbers(saint_paul: Town, burglaries: None) -> None:
    client = signed_in(saint_paul.referent)
    html = client.get("/dashboard/communes/06128/").content.decode()
    api = client.get(f"/api/v1/stats/communes/06128?from={YEAR}-01-01&to={YEAR}-12-31").json()
    before = client.get(f"/api/v1/stats/communes/06128?from={YEAR - 1}-01-01&to={YEAR - 1}-12-31").json()
    begun = timezone.localdate().month
    shown = [(this, last) for _month, this, last in monthly_cells(html)]
    from_api = [(a["burglaries"], b["burglaries"]) for a, b in zip(api["series"], before["series"], strict=True)]
    assert shown[:begun] == from_api[:begun]
    assert f'<td data-testid="total-this-year">{api["totals"]["burglaries"]}</td>' in html
    assert f'<td data-testid="total-last-year">{before["totals"]["burglaries"]}</td>' in html
    rate = f"{api['rates']['per_1000_inhabitants']:.2f}".replace(".", ",")
    assert f'data-testid="burglary-rate">{rate}<' in html
    categories = html.split('data-testid="categories-table"')[1].split("</table>")[0]
    assert f"<th scope=\"row\">Vol</th><td>{api['totals']['by_category']['vol']}</td>" in categories
    moderation = html.split('data-testid="moderation-table"')[1].split("</table>")[0]
    assert f"<th scope=\"row\">Publiés</th><td>{api['moderation']['approved']}</td>" in moderation


@pytest.mark.django_db
def test_the_departement_ranking_adds_up_to_the_export_and_its_links_work(
    saint_paul: Town, gendarme_06: User, burglaries: None
) -> None:
    client = signed_in(gendarme_06)
    html = client.get(f"/dashboard/departements/06/?du={YEAR}-01&au={YEAR}-12").content.decode()
    exported = client.get(f"/api/v1/stats/export?departement=06&from={YEAR}-01-01&to={YEAR}-12-31&format=json")
    assert isinstance(exported, StreamingHttpResponse)
    rows = json.loads(exported.getvalue())
    burglaries = sum(r["count"] for r in rows if r["insee"] == "06128" and r["category"] in BURGLARIES)
    assert burglaries == 3 and '<td data-testid="ranking-total">3</td>' in html
    found = re.search(r'data-testid="export-csv" href="([^"]+)"', html)
    assert found is not None, html
    link = found.group(1).replace("&amp;", "&")
    csv = client.get(link)
    assert isinstance(csv, StreamingHttpResponse)
    assert csv.status_code == 200 and "06128" in csv.getvalue().decode("utf-8-sig")


@pytest.mark.django_db
def test_a_gendarme_of_listed_communes_exports_those_communes(saint_paul: Town) -> None:
    gendarme = UserFactory.create()
    GendarmeArea.objects.create(user=gendarme).communes.add(saint_paul.commune)
    client = signed_in(gendarme)
    html = client.get("/dashboard/departements/06/").content.decode()
    found = re.search(r'data-testid="export-csv" href="([^"]+)"', html)
    assert found is not None, html
    link = found.group(1).replace("&amp;", "&")
    assert "communes=06128" in link and "departement" not in link
    assert client.get(link).status_code == 200
    assert client.get("/dashboard/communes/06128/").status_code == 200


# --- The look: the deployment's own brand, never the State's ------------------------------------

BRAND = {
    "BRAND_NAME": "Vigilance Saint-Paul",
    "BRAND_OPERATOR": "Commune de Saint-Paul-de-Vence",
    "BRAND_PRIMARY_COLOR": "#8B1E3F",
    "BRAND_LEGAL_URL": "https://www.saint-paul-de-vence.fr/mentions-legales",
    "BRAND_LEGAL_TEXT": "Directeur de la publication : le maire de Saint-Paul-de-Vence.",
}
# The State's block, design system and typeface; spelt with classes so that a search of the tree for those
# names finds no page and no test.
STATE_IDENTITY = re.compile(r"r[ée]publique\s*(<br>)?\s*fran[cç]aise|d[s]fr|mari[a]nne|fr-header|fr-btn", re.IGNORECASE)
INLINE_CODE = re.compile(r"""\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\b(src=|type="application/json"))""", re.IGNORECASE)


def every_page(saint_paul: Town, gendarme_06: User) -> dict[str, Any]:
    """Each kind of page, as the person who sees it: the answers' bodies by name."""
    mayor, gendarme = signed_in(saint_paul.mayor), signed_in(gendarme_06)
    pages = {
        "login": Client().get("/dashboard/login/"),
        "password": Client().get("/dashboard/login/password/"),
        "index": mayor.get("/dashboard/"),
        "commune": mayor.get("/dashboard/communes/06128/"),
        "bilan": mayor.get(f"/dashboard/communes/06128/bilan/{YEAR}/"),
        "departement": gendarme.get("/dashboard/departements/06/"),
        "403": mayor.get("/dashboard/departements/06/"),
        "404": mayor.get("/dashboard/communes/08105/"),
    }
    expected = {"403": 403, "404": 404}
    for name, answer in pages.items():
        assert answer.status_code == expected.get(name, 200), name
    return {name: answer.content.decode() for name, answer in pages.items()}


@pytest.mark.django_db
def test_every_page_wears_the_deployments_brand_and_nothing_of_the_states(
    saint_paul: Town, gendarme_06: User, burglaries: None, settings: Any
) -> None:
    for name, value in BRAND.items():
        setattr(settings, name, value)
    # The pages show people's names, which the factories draw at random among French first names: Marianne is
    # one of them, and would read as the State's emblem below.
    User.objects.update(display_name="Camille Durand")
    for name, html in every_page(saint_paul, gendarme_06).items():
        assert 'lang="fr"' in html and "Vigilance Saint-Paul" in html, name
        assert "Commune de Saint-Paul-de-Vence" in html, name
        assert 'href="https://www.saint-paul-de-vence.fr/mentions-legales">Mentions légales<' in html, name
        assert "Directeur de la publication : le maire" in html, name
        assert not STATE_IDENTITY.search(html), (name, STATE_IDENTITY.search(html))
        assert '<a href="#contenu">Aller au contenu</a>' in html and 'id="contenu"' in html, name
        assert re.search(r'href="/dashboard/brand\.css\?v=\w+"', html), name


@pytest.mark.django_db
def test_the_logo_is_shown_only_when_configured(saint_paul: Town, settings: Any) -> None:
    assert "site-brand__logo" not in Client().get("/dashboard/login/").content.decode()
    settings.BRAND_LOGO_URL = "/static/logos/saint-paul.svg"
    html = Client().get("/dashboard/login/").content.decode()
    assert '<img class="site-brand__logo" src="/static/logos/saint-paul.svg" alt=""' in html  # the name follows it


@pytest.mark.django_db
def test_no_page_carries_inline_script_or_style(saint_paul: Town, gendarme_06: User, burglaries: None) -> None:
    """The Content-Security-Policy allows no 'unsafe-inline': every script and style is a file of ours."""
    for name, html in every_page(saint_paul, gendarme_06).items():
        assert not INLINE_CODE.search(html), (name, INLINE_CODE.search(html))
        for url in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
            assert url.startswith("/"), (name, url)  # served by the project, never another origin


@pytest.mark.django_db
def test_signed_in_pages_have_a_menu_with_the_sign_out_button(saint_paul: Town) -> None:
    html = signed_in(saint_paul.mayor).get("/dashboard/").content.decode()
    menu = html.split('data-testid="site-menu"')[1].split("</details>")[0]
    assert "<summary>Menu</summary>" in menu
    assert 'action="/dashboard/logout/"' in menu and ">Se déconnecter</button>" in menu
    assert "site-menu" not in Client().get("/dashboard/login/").content.decode()


def test_the_brand_stylesheet_carries_the_configured_colour(client: Client, settings: Any) -> None:
    settings.BRAND_PRIMARY_COLOR = "#8B1E3F"
    answer = client.get("/dashboard/brand.css")
    css = answer.content.decode()
    assert answer.status_code == 200 and answer["Content-Type"] == "text/css; charset=utf-8"
    assert "--brand-primary: #8b1e3f;" in css and "--pico-primary: #8b1e3f;" in css
    assert "public" in answer["Cache-Control"] and "max-age=86400" in answer["Cache-Control"]
    assert client.get("/dashboard/brand.css", HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304
    settings.BRAND_PRIMARY_COLOR = "#0d6e6e"
    assert client.get("/dashboard/brand.css", HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 200


def test_a_pale_brand_colour_is_darkened_until_text_reads_on_white(client: Client, settings: Any) -> None:
    settings.BRAND_PRIMARY_COLOR = "#FFD700"  # gold: 1.4:1 on white
    css = client.get("/dashboard/brand.css").content.decode()
    found = re.search(r"--brand-text: (#[0-9a-f]{6});", css)
    assert found is not None, css
    text = found.group(1)
    assert "--brand-primary: #ffd700;" in css and text != "#ffd700"
    assert contrast_on_white(text) >= 4.5
    assert contrast_on_white(readable_on_white("#0d6e6e")) >= 4.5 and readable_on_white("#0d6e6e") == "#0d6e6e"


def test_a_brand_colour_that_is_not_hexadecimal_stops_the_start() -> None:
    environment = {**os.environ, "DEBUG": "true", "BRAND_PRIMARY_COLOR": "red; } body { display: none"}
    started = subprocess.run(
        [sys.executable, "-c", "import vigilants.settings"], env=environment, capture_output=True, text=True, check=False
    )
    assert started.returncode != 0 and "BRAND_PRIMARY_COLOR" in started.stderr


@pytest.mark.django_db
def test_a_mayor_opening_the_departement_gets_the_french_403_page(saint_paul: Town, settings: Any) -> None:
    settings.BRAND_NAME = "Vigilance Saint-Paul"
    answer = signed_in(saint_paul.mayor).get("/dashboard/departements/06/")
    html = answer.content.decode()
    assert answer.status_code == 403 and 'data-testid="error-403"' in html
    assert "<h1>Accès refusé</h1>" in html and "réservées à la gendarmerie et à l’équipe Vigilance Saint-Paul" in html
    assert "Forbidden" not in html and "/static/vendor/pico/pico.min.css" in html and "Se déconnecter" in html


@pytest.mark.django_db
def test_an_unknown_page_is_the_french_404_page(saint_paul: Town) -> None:
    for path in ("/dashboard/communes/08105/", "/dashboard/nulle-part/"):
        answer = signed_in(saint_paul.mayor).get(path)
        html = answer.content.decode()
        assert answer.status_code == 404 and "<h1>Page introuvable</h1>" in html, path
        assert "Not Found" not in html and "/static/vendor/pico/pico.min.css" in html, path


def test_the_500_page_renders_without_a_request_context_or_the_database(settings: Any) -> None:
    """Django renders 500.html with no context at all; no database marker here: a query would fail the test."""
    settings.BRAND_NAME = "Vigilance Saint-Paul"
    settings.BRAND_OPERATOR = "Commune de Saint-Paul-de-Vence"
    answer = server_error(RequestFactory().get("/dashboard/"))
    html = answer.content.decode()
    assert answer.status_code == 500 and 'data-testid="error-500"' in html and 'lang="fr"' in html
    assert "Le service a rencontré une erreur" in html and "Server Error" not in html
    assert "Vigilance Saint-Paul" in html and "Commune de Saint-Paul-de-Vence" in html
    assert re.search(r'href="/dashboard/brand\.css\?v=\w+"', html) and "Se déconnecter" not in html


@pytest.mark.parametrize("query", ["au=9999-12", "du=0001-01", "du=9999-01&au=9999-12", "au=2026-13", "du=x"])
def test_months_out_of_bounds_fall_back_to_the_default_period(gendarme_06: User, saint_paul: Town, query: str) -> None:
    for path in ("/dashboard/departements/06/", "/dashboard/communes/06128/"):
        assert signed_in(gendarme_06).get(f"{path}?{query}").status_code == 200
