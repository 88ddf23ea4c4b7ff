"""The public yearly balance of a territory: totals over its enrolled communes, each commune's line, the EPCI."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from communes.models import Commune, Follow
from communes.territories import find_territory
from conftest import Town, client_for
from notifications.models import MessageKind, MessageSource
from stats.balance import territory_balance
from stats.tests.balance_scene import YEAR, at, build, deliver, message, reports
from tests.factories import CommuneFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

DEP = f"/bilan/departement/06/{YEAR}"


def aiglun(people: list[User]) -> Commune:
    """Another commune of the 06: 5 members, 5 followers (one of them also follows Saint-Paul), 5 reports
    published after 100 to 140 minutes, one SMS of one part."""
    commune = CommuneFactory.create(insee="06001", name="Aiglun", departement="06", departement_name="Alpes-Maritimes",
                                    enrolled_at=datetime(2025, 1, 1, 12, tzinfo=UTC))  # fmt: skip
    for _ in range(5):
        MembershipFactory.create(commune=commune, user=UserFactory.create())
    for person in [people[0], *(UserFactory.create() for _ in range(4))]:
        Follow.objects.create(user=person, commune=commune)
    reports(commune, [100, 110, 120, 130, 140])
    deliver(message(commune, MessageKind.ALERT, MessageSource.ALERT, at(8, 1)), people[0], "sms", "sent", 1, segments=1)
    CommuneFactory.create(insee="06002", name="Amirat", departement="06", enrolled=False, enrolled_at=None)
    return commune


@pytest.fixture
def territory(saint_paul: Town) -> Commune:
    return aiglun(build(saint_paul))


def test_it_sums_the_territorys_communes(territory: Commune) -> None:
    data = Client().get(f"{DEP}.json").json()
    assert data["territory"] == {"kind": "departement", "code": "06", "name": "Alpes-Maritimes", "communes": 2}
    lines = {line["commune"]["insee"]: line for line in data["communes"]}
    assert list(lines) == ["06001", "06128"]  # by name; Amirat is not enrolled
    assert data["people"]["members"] == 7 + 5
    assert data["people"]["followers"] == 9  # the person following both communes counts once
    assert lines["06001"]["people"]["followers"] + lines["06128"]["people"]["followers"] == 10
    assert data["moderation"]["received"] == 14 == sum(line["moderation"]["received"] for line in lines.values())
    # One median over the 11 published reports (10…60 and 100…140 minutes): 60, not the mean of 35 and 120.
    assert data["moderation"]["median_minutes_to_approve"] == 60.0
    assert lines["06001"]["moderation"]["median_minutes_to_approve"] == 120.0
    assert data["sending"]["sms_sent"] == 5 == sum(line["sending"]["sms_sent"] for line in lines.values())
    assert data["sending"]["estimated_cost_eur"] == 0.74  # 6 parts × 0.0725 (0.435 → 0.44) + 2 minutes × 0.15
    assert data["official"] == {"communes_compared": 1, "official_before_sum": 12.0, "official_after_sum": 8.0}
    assert lines["06128"]["enrolment"]["official_before"]["mean_count"] == 12.0
    assert data["licence"]["name"] == "Licence Ouverte / Open Licence version 2.0"


def test_its_csv_has_the_total_then_each_commune(territory: Commune) -> None:
    rows = list(csv.reader(io.StringIO(Client().get(f"{DEP}.csv").content.decode()), delimiter=";"))
    received = [row for row in rows if row[4] == "moderation.received"]
    assert received == [["departement", "06", "Alpes-Maritimes", str(YEAR), "moderation.received", "14", "false", "true"],
                        ["commune", "06001", "Aiglun", str(YEAR), "moderation.received", "5", "false", "true"],
                        ["commune", "06128", "Saint-Paul-de-Vence", str(YEAR), "moderation.received", "9", "false",
                         "true"]]  # fmt: skip
    assert ["departement", "06", "Alpes-Maritimes", str(YEAR), "official.communes_compared", "1", "false", "true"] in rows


def test_its_page_links_each_commune(territory: Commune) -> None:
    page = Client().get(f"{DEP}/").content.decode()
    assert f"Alpes-Maritimes : bilan public {YEAR} de la participation citoyenne" in page
    assert f'href="/bilan/06001/{YEAR}/"' in page and f'href="/bilan/06128/{YEAR}/"' in page
    assert "Sur la commune dont les chiffres sont publiés avant et après son adhésion : 12,0 par an avant" in page
    assert f'href="/bilan/departement/06/{YEAR}.json"' in page


def test_a_total_that_would_give_back_one_withheld_line_is_withheld(territory: Commune) -> None:
    small = CommuneFactory.create(insee="06003", name="Andon", departement="06")
    for _ in range(3):
        MembershipFactory.create(commune=small, user=UserFactory.create())
    data = Client().get(f"{DEP}.json").json()
    lines = {line["commune"]["insee"]: line for line in data["communes"]}
    assert lines["06003"]["people"]["members"] is None and "people.members" in lines["06003"]["suppressed"]
    assert data["people"]["members"] is None and "people.members" in data["suppressed"]
    assert "people.members" not in data["under_threshold"] and lines["06003"]["under_threshold"] == ["people.members"]
    page = Client().get(f"{DEP}/").content.decode()  # 15 members in all: not "< 5", but withheld
    assert page.split('data-figure="people.members"')[1].split("</tr>")[0].endswith("<td>non publié</td>")
    assert data["people"]["followers"] == 9  # no line withholds it


def test_an_epcis_balance_covers_its_communes(territory: Commune, operator_nca: User, operator_06: User) -> None:
    data = Client().get(f"/bilan/epci/200030195/{YEAR}.json").json()
    assert data["territory"]["name"] == "Métropole Nice Côte d'Azur"
    assert [line["commune"]["insee"] for line in data["communes"]] == ["06128"]
    assert data["moderation"]["received"] == 9
    for operator in (operator_nca, operator_06):  # public: an operator reads it as anyone does, in or out
        assert client_for(operator).get(f"/bilan/epci/200030195/{YEAR}/").status_code == 200
        assert client_for(operator).get(f"/bilan/departement/08/{YEAR}.json").status_code == 404  # none enrolled


def test_a_territorys_years_start_with_its_first_enrolment(territory: Commune) -> None:
    assert Client().get(f"/bilan/departement/06/{YEAR - 1}.json").json()["territory"]["communes"] == 2
    assert Client().get("/bilan/departement/06/2024.json").json()["territory"]["communes"] == 1
    assert Client().get("/bilan/departement/06/2023.json").status_code == 404


def test_more_communes_cost_no_more_queries(territory: Commune) -> None:
    departement = find_territory("departement", "06")
    assert departement is not None
    with CaptureQueriesContext(connection) as two:
        territory_balance(departement, YEAR)
    for n in range(5):
        CommuneFactory.create(insee=f"0602{n}", name=f"Commune {n}", departement="06")
    with CaptureQueriesContext(connection) as seven:
        assert territory_balance(departement, YEAR)["territory"]["communes"] == 7
    assert len(seven.captured_queries) == len(two.captured_queries)
