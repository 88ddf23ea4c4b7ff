"""The public yearly balance of a commune: hand-counted figures, the statistics API's numbers, anonymisation,
the deliveries' purge, formats and licence, the page, the 404s (balance_scene.py says what is counted)."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from communes.models import Commune, Follow, Membership
from conftest import Town, client_for
from notifications.models import Delivery, MessageSummary
from notifications.summaries import summarise_finished
from notifications.sweeper import purge
from stats.balance import commune_balance
from stats.periods import today
from stats.tests.balance_scene import YEAR, build
from vigilants.celery import app as celery_app

pytestmark = pytest.mark.django_db

JSON = f"/bilan/06128/{YEAR}.json"


def csv_figures(text: str) -> dict[tuple[str, str], list[str]]:
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["scope", "code", "name", "year", "figure", "value", "suppressed", "provisional"]
    return {(row[1], row[4]): row for row in rows[1:]}


def test_it_counts_a_commune_year_by_hand(saint_paul: Town) -> None:
    build(saint_paul)
    data = Client().get(JSON).json()
    assert data["people"] == {"members": 7, "followers": 5, "counted_on": today().isoformat()}
    assert data["moderation"] == {"received": 9, "approved": 6, "rejected": 2, "pending": 1, "rejected_share": 0.25,
                                  "median_minutes_to_approve": 35.0}  # fmt: skip
    assert data["warnings"] == {"public_warnings": 1, "mayor_broadcasts": 1, "messages": 1, "recipients": 6,
                                "reached_within_5_minutes": 5, "share_reached_within_5_minutes": 0.8333}  # fmt: skip
    assert data["sending"] == {"messages": 2, "sms_sent": 4, "sms_segments": 5, "sms_segment_price_eur": 0.0725,
                               "sms_cost_eur": 0.36, "calls": 1, "call_minutes": 2, "call_minute_price_eur": 0.15,
                               "call_cost_eur": 0.3, "estimated_cost_eur": 0.66}  # fmt: skip
    assert data["enrolment"]["official_before"] == {"years": [2021, 2022, 2023], "withheld_years": [2023], "mean_count": 12.0}
    assert data["enrolment"]["official_after"]["mean_count"] == 8.0
    assert data["suppressed"] == [] and data["under_threshold"] == []


def test_it_gives_the_statistics_apis_numbers_in_json_csv_and_page(saint_paul: Town, staff: Any) -> None:
    build(saint_paul)
    api = client_for(staff).get(f"/api/v1/stats/communes/06128?from={YEAR}-01-01&to={YEAR}-12-31").json()
    data = Client().get(JSON).json()
    assert {k: v for k, v in data["moderation"].items() if k != "received"} == api["moderation"]
    assert data["commune"] == api["commune"]
    assert data["official"] == api["official"]
    assert data["enrolment"] == {k: v for k, v in api["enrolment"].items() if k != "ours_by_year"}
    assert data["people"]["members"] == api["deliveries"]["members"]  # this year's members are today's
    figures = csv_figures(Client().get(f"/bilan/06128/{YEAR}.csv").content.decode())
    for key in ("approved", "rejected", "pending", "median_minutes_to_approve", "rejected_share"):
        assert figures[("06128", f"moderation.{key}")][5] == str(api["moderation"][key])
    assert figures[("06128", "official.2025.count")][5] == "8"
    assert figures[("06128", "enrolment.official_before.mean_count")][5] == "12.0"
    page = Client().get(f"/bilan/06128/{YEAR}/").content.decode()
    for path, shown in [("moderation.approved", "6"), ("moderation.rejected", "2"), ("people.members", "7"),
                        ("moderation.median_minutes_to_approve", "35,0"), ("sending.estimated_cost_eur", "0,66"),
                        ("warnings.share_reached_within_5_minutes", "83,3")]:  # fmt: skip
        assert f'data-figure="{path}"' in page
        assert page.split(f'data-figure="{path}"')[1].split("</tr>")[0].endswith(f"<td>{shown}</td>")


def test_it_is_unchanged_after_the_deliveries_purge(saint_paul: Town) -> None:
    build(saint_paul)
    saint_paul.commune.refresh_from_db()
    before = commune_balance(saint_paul.commune, YEAR)
    assert MessageSummary.objects.count() == 0  # counted live until then
    purge(now=datetime(YEAR + 2, 1, 1, tzinfo=UTC))
    assert Delivery.objects.count() == 0
    assert MessageSummary.objects.filter(final=True).count() == 2
    after = commune_balance(saint_paul.commune, YEAR)
    for block in ("people", "moderation", "warnings", "sending", "enrolment", "official"):
        assert after[block] == before[block], block


def test_it_summarises_finished_messages_only(saint_paul: Town) -> None:
    build(saint_paul)
    going = Delivery.objects.filter(status="sent", channel="push").order_by("pk").first()
    assert going is not None
    Delivery.objects.filter(pk=going.pk).update(status="pending")
    assert summarise_finished() == 1  # the other message still has a push to go
    summary = MessageSummary.objects.get()
    assert (summary.recipients, summary.sms_sent, summary.sms_segments) == (2, 1, 1)
    assert summarise_finished() == 0


def test_it_withholds_small_counts(charleville: Town) -> None:
    Membership.objects.filter(user=charleville.resident2).delete()  # 3 members left
    Follow.objects.create(user=charleville.applicant, commune=charleville.commune)
    data = Client().get(f"/bilan/08105/{YEAR}.json").json()
    assert data["people"]["members"] is None and data["people"]["followers"] is None
    assert {"people.members", "people.followers"} <= set(data["suppressed"])
    assert data["moderation"]["received"] == 0  # nothing is no one: 0 stays
    figures = csv_figures(Client().get(f"/bilan/08105/{YEAR}.csv").content.decode())
    assert figures[("08105", "people.members")][5:7] == ["", "true"]
    assert figures[("08105", "moderation.received")][5:7] == ["0", "false"]
    page = Client().get(f"/bilan/08105/{YEAR}/").content.decode()
    assert page.split('data-figure="people.members"')[1].split("</tr>")[0].endswith("<td>&lt; 5</td>")
    assert "Ce qui n’est pas publié, et pourquoi" in page


def test_it_withholds_a_median_of_few_reports(saint_paul: Town, settings: Any) -> None:
    settings.BALANCE_MIN_COUNT = 7  # 6 approved reports: too few for their median; 6 recipients
    build(saint_paul)
    data = Client().get(JSON).json()
    assert data["moderation"]["median_minutes_to_approve"] is None
    assert data["moderation"]["approved"] == 6  # reports name no one: counted as they are
    assert data["moderation"]["rejected_share"] == 0.25  # 8 decided
    assert data["people"]["members"] == 7
    # 6 recipients and 5 reached quickly are withheld, and so is their share
    assert data["warnings"]["recipients"] is None and data["warnings"]["share_reached_within_5_minutes"] is None
    assert {"moderation.median_minutes_to_approve", "warnings.reached_within_5_minutes",
            "warnings.share_reached_within_5_minutes"} <= set(data["suppressed"])


def test_it_publishes_open_data_with_its_licence(saint_paul: Town) -> None:
    build(saint_paul)
    answer = Client().get(JSON)
    assert answer["Content-Type"] == "application/json"
    data = answer.json()
    assert data["licence"] == {"name": "Licence Ouverte / Open Licence version 2.0",
                               "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}  # fmt: skip
    assert data["producer"] == {"name": "Vigilants", "operator": None}
    assert data["period"] == {"year": YEAR, "from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31", "provisional": True}
    assert data["threshold"] == 5 and "moderation.median_minutes_to_approve" in data["definitions"]
    assert datetime.fromisoformat(data["computed_at"]).tzinfo is not None
    answer = Client().get(f"/bilan/06128/{YEAR}.csv")
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert not answer.content.startswith(b"\xef\xbb\xbf")
    assert answer["Link"] == '<https://www.etalab.gouv.fr/licence-ouverte-open-licence/>; rel="license"'
    rows = csv_figures(answer.content.decode())
    assert rows[("06128", "sending.estimated_cost_eur")] == ["commune", "06128", "Saint-Paul-de-Vence", str(YEAR),
                                                               "sending.estimated_cost_eur", "0.66", "false", "true"]  # fmt: skip


def test_a_past_year_is_final_and_cacheable(saint_paul: Town) -> None:
    build(saint_paul)
    answer = Client().get("/bilan/06128/2025.json")
    assert answer.json()["period"]["provisional"] is False
    assert answer.json()["moderation"]["received"] == 0
    assert answer["Cache-Control"] == "public, max-age=86400"
    assert answer["ETag"] and answer["Last-Modified"]
    again = Client().get("/bilan/06128/2025.json", HTTP_IF_NONE_MATCH=answer["ETag"])
    assert again.status_code == 304
    signed_in = client_for(saint_paul.mayor).get(f"/bilan/06128/{YEAR}/")
    assert signed_in["Cache-Control"] == "public, max-age=3600"
    assert saint_paul.mayor.display_name not in signed_in.content.decode()  # the page is the same for anyone


def test_the_page_is_french_printable_and_lists_years(saint_paul: Town) -> None:
    build(saint_paul)
    page = Client().get(f"/bilan/06128/{YEAR}/").content.decode()
    assert f"Saint-Paul-de-Vence : bilan public {YEAR} de la participation citoyenne" in page
    assert "chiffres provisoires" in page and "data-print" in page
    assert "0,0725 € par partie de SMS et 0,15 € par minute" in page
    assert f'href="/bilan/06128/{YEAR}.csv"' in page and "Licence Ouverte / Open Licence version 2.0" in page
    years = Client().get("/bilan/06128/").content.decode()
    assert all(f'href="/bilan/06128/{y}/"' in years for y in range(2024, YEAR + 1))
    assert 'href="/bilan/06128/2023/"' not in years


@pytest.mark.parametrize("path", ["/bilan/99999/", f"/bilan/99999/{YEAR}/", "/bilan/06128/2023/", "/bilan/06128/2023.json",
                                  f"/bilan/06128/{YEAR + 1}/", f"/bilan/06128/{YEAR}.xml", "/bilan/06128/1.csv",
                                  f"/bilan/departement/00/{YEAR}/", f"/bilan/epci/123/{YEAR}.json",
                                  f"/bilan/region/93/{YEAR}/"])  # fmt: skip
def test_it_answers_404_outside_what_exists(saint_paul: Town, path: str) -> None:
    build(saint_paul)
    assert Client().get(path).status_code == 404


def test_a_commune_not_enrolled_has_no_balance(saint_paul: Town) -> None:
    Commune.objects.filter(pk=saint_paul.commune.pk).update(enrolled=False)
    assert Client().get("/bilan/06128/").status_code == 404
    assert Client().get(f"/bilan/06128/{YEAR}.json").status_code == 404



def test_beat_summarises_finished_messages_with_a_registered_task(saint_paul: Town, settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["notifications-summaries"]
    build(saint_paul)
    assert celery_app.tasks[schedule["task"]].delay().get() == 2
    assert MessageSummary.objects.filter(final=True, recipients__gt=0).count() == 2


def test_it_answers_only_reads(saint_paul: Town) -> None:
    assert Client().post(JSON).status_code == 405
    assert Client().head(JSON).status_code == 200


def test_the_mayors_yearly_account_links_the_public_balance(saint_paul: Town) -> None:
    build(saint_paul)
    client = Client()
    client.force_login(saint_paul.mayor)
    page = client.get(f"/dashboard/communes/06128/bilan/{YEAR}/").content.decode()
    assert f'href="/bilan/06128/{YEAR}/" data-testid="public-balance"' in page
    assert "data-testid=\"public-balance\"" not in client.get("/dashboard/communes/06128/bilan/2023/").content.decode()


def test_the_purge_counts_a_late_receipt_before_it_deletes(saint_paul: Town) -> None:
    build(saint_paul)
    assert summarise_finished() == 2
    # Twilio reports the SMS of the alert undelivered after its message was summarised.
    Delivery.objects.filter(channel="sms", message__kind="alert").update(status="failed")
    purge(now=datetime(YEAR + 2, 1, 1, tzinfo=UTC))
    assert commune_balance(saint_paul.commune, YEAR)["sending"]["sms_sent"] == 3
