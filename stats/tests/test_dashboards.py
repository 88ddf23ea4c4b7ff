"""The dashboards: session sign-in by SMS code or staff password, who sees which page, the numbers shown."""

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from alerts.models import Alert, AlertKind, AlertStatus
from communes.models import GendarmeArea
from conftest import Town
from notifications.models import ConsoleMessage
from stats.aggregates import BURGLARIES
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
    return re.search(r"\b(\d{6})\b", body).group(1)


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
    assert client.post("/dashboard/login/", {"phone": saint_paul.mayor.phone}).status_code == 403
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
    client = Client()
    answer = client.post("/dashboard/login/password/", {"username": "06 99 99 99 99", "password": "staff-password-123"})
    assert answer.status_code == 302 and client.get("/dashboard/").status_code == 200
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
    assert "/static/vendor/chartjs/chart.umd.js" in html and "dsfr.min.css" in html


@pytest.mark.django_db
def test_the_map_rounds_positions_so_that_no_house_is_identifiable(saint_paul: Town, burglaries: None) -> None:
    html = signed_in(saint_paul.mayor).get("/dashboard/communes/06128/").content.decode()
    table = html.split('data-testid="map-table"')[1].split("</table>")[0]
    cells = re.findall(r"<th scope=\"row\">([\d.,]+)</th><td>([\d.,]+)</td><td>(\d+)</td>", table)
    assert cells == [("43,695", "7,125", "2"), ("43,705", "7,115", "1")]
    for precise in ("43.6971", "7.1221", "43.6975", "43.7051", "43,6971"):
        assert precise not in html
    assert "<svg" in html and "<circle" in html and "tile" not in html.split('data-testid="alert-map"')[1][:2000]


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
    vence = CommuneFactory(insee="06157", name="Vence", departement="06", population=19000)
    html = signed_in(gendarme_06).get(f"/dashboard/departements/06/?du={YEAR}-01&au={YEAR}-12").content.decode()
    ranking = html.split('data-testid="ranking-table"')[1].split("</table>")[0]
    assert re.findall(r'data-insee="(\w+)"', ranking) == ["06128", vence.insee]
    assert "08105" not in html
    assert '<td data-testid="ranking-total">3</td>' in html
    assert f"/api/v1/stats/export?departement=06&amp;from={YEAR}-01-01&amp;to={YEAR}-12-31&amp;format=csv" in html
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
    rows = json.loads(b"".join(exported.streaming_content))
    burglaries = sum(r["count"] for r in rows if r["insee"] == "06128" and r["category"] in BURGLARIES)
    assert burglaries == 3 and '<td data-testid="ranking-total">3</td>' in html
    link = re.search(r'data-testid="export-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    csv = client.get(link)
    assert csv.status_code == 200 and "06128" in b"".join(csv.streaming_content).decode("utf-8-sig")


@pytest.mark.django_db
def test_a_gendarme_of_listed_communes_exports_those_communes(saint_paul: Town) -> None:
    gendarme = UserFactory()
    GendarmeArea.objects.create(user=gendarme).communes.add(saint_paul.commune)
    client = signed_in(gendarme)
    html = client.get("/dashboard/departements/06/").content.decode()
    link = re.search(r'data-testid="export-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "communes=06128" in link and "departement" not in link
    assert client.get(link).status_code == 200
    assert client.get("/dashboard/communes/06128/").status_code == 200
