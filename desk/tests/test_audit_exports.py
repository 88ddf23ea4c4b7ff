"""The journal (the mayor's) and the exports (statistics for the moderators, the journal for the mayor)."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.models import User
from audit.models import AuditEntry
from audit.services import audit_record
from communes.models import Membership, Role
from conftest import Town
from desk.tests.conftest import MAYORS_PAGE, MODERATORS_PAGE, People, expect_statuses
from desk.tests.members_scene import OTHER, OTHER_COMMUNE_PAGE, OWN, every_phone, page_text
from stats.tests.scenario import build
from stats.tests.test_export import HEADER, WINTER

pytestmark = pytest.mark.django_db

STATS, JOURNAL = "exports/statistics/", "exports/audit/"


def url(path: str, insee: str = OWN) -> str:
    return f"/desk/communes/{insee}/{path}"


def member(town: Town, who: str) -> Membership:
    return Membership.objects.get(commune=town.commune, user=getattr(town, who))


def record(town: Town, action: str, at: datetime, actor: User | None = None, **after: object) -> AuditEntry:
    with time_machine.travel(at, tick=False):
        return audit_record(actor=actor or town.mayor, action=action, obj=town.commune, commune=town.commune, after=after)


def journal_rows(html: str) -> list[str]:
    body = html.split('data-testid="audit"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return body.split("<tr>")[1:]


# --- Who opens what -----------------------------------------------------------------------------------------------


def test_the_journal_is_the_mayors_and_the_exports_page_the_moderators(people: People) -> None:
    expect_statuses(people, "get", url("audit/"), MAYORS_PAGE)
    expect_statuses(people, "get", url("audit/", OTHER), OTHER_COMMUNE_PAGE)
    expect_statuses(people, "get", url("exports/"), MODERATORS_PAGE)
    expect_statuses(people, "get", url("exports/", OTHER), OTHER_COMMUNE_PAGE)


def test_each_export_answers_each_persona_and_is_recorded_for_each_download(people: People) -> None:
    # A download is a 200: the anonymous visitor's 302 (sign in) is no export.
    expect_statuses(people, "post", url(STATS), MODERATORS_PAGE, {"format": "csv"})
    expect_statuses(people, "post", url(STATS, OTHER), OTHER_COMMUNE_PAGE, {"format": "csv"})
    expect_statuses(people, "post", url(JOURNAL), MAYORS_PAGE)
    expect_statuses(people, "post", url(JOURNAL, OTHER), OTHER_COMMUNE_PAGE)
    by_commune = {
        insee: sorted(AuditEntry.objects.filter(commune__insee=insee).values_list("action", "actor_name"))
        for insee in (OWN, OTHER)
    }  # fmt: skip
    town, other = people.saint_paul, people.charleville
    assert by_commune[OWN] == sorted([("stats.exported", str(town.referent)), ("stats.exported", str(town.mayor)),
                                      ("stats.exported", "Staff"), ("audit.exported", str(town.mayor)),
                                      ("audit.exported", "Staff")])  # fmt: skip
    assert by_commune[OTHER] == sorted([("stats.exported", str(other.mayor)), ("stats.exported", "Staff"),
                                        ("audit.exported", str(other.mayor)), ("audit.exported", "Staff")])  # fmt: skip


def test_a_referent_is_offered_the_statistics_only(people: People) -> None:
    page = page_text(people.client("referent"), url("exports/"))
    assert url(STATS) in page and url(JOURNAL) not in page
    assert url(JOURNAL) in page_text(people.client("mayor"), url("exports/"))


# --- The journal page ------------------------------------------------------------------------------------------


def test_the_journal_shows_who_did_what_newest_first(people: People) -> None:
    town = people.saint_paul
    record(town, "stats.exported", datetime(2026, 1, 10, 9, tzinfo=UTC), actor=people.gendarme_06, format="csv",
           rows=4, **{"from": "2025-11-01", "to": "2026-02-28"})  # fmt: skip
    record(town, "policy.changed", datetime(2026, 3, 2, 9, tzinfo=UTC))
    rows = journal_rows(page_text(people.client("mayor"), url("audit/")))
    assert len(rows) == 2
    assert "Règles de la commune modifiées" in rows[0] and "2 mars 2026" in rows[0]
    assert "Statistiques exportées" in rows[1] and "Gendarme 06" in rows[1]
    assert "CSV, du 2025-11-01 au 2026-02-28, 4 lignes" in rows[1]


def test_the_journal_is_filtered_by_action_and_period(people: People) -> None:
    town = people.saint_paul
    record(town, "policy.changed", datetime(2026, 1, 10, 9, tzinfo=UTC))
    record(town, "stats.exported", datetime(2026, 2, 10, 9, tzinfo=UTC))
    record(town, "stats.exported", datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 1 April in Paris
    mayor = people.client("mayor")
    by_action = journal_rows(page_text(mayor, url("audit/") + "?action=stats.exported"))
    assert len(by_action) == 2 and all("Statistiques exportées" in row for row in by_action)
    in_march = journal_rows(page_text(mayor, url("audit/") + "?du=2026-02-01&au=2026-03-31"))
    assert len(in_march) == 1 and "10 février 2026" in in_march[0]


def test_a_wrong_filter_is_pointed_out(people: People) -> None:
    record(people.saint_paul, "policy.changed", datetime(2026, 1, 10, 9, tzinfo=UTC))
    answer = people.client("mayor").get(url("audit/"), {"du": "2026-03-01", "au": "2026-02-01"})
    assert answer.status_code == 400 and "La date de fin est avant la date de début." in answer.content.decode()
    assert people.client("mayor").get(url("audit/"), {"action": "membership.deleted_everything"}).status_code == 400


def test_the_journal_comes_in_pages(people: People) -> None:
    for day in range(1, 29):
        for hour in (8, 10):
            record(people.saint_paul, "policy.changed", datetime(2026, 2, day, hour, tzinfo=UTC))
    mayor = people.client("mayor")
    first = page_text(mayor, url("audit/"))
    assert len(journal_rows(first)) == 50 and "Page 1 sur 2" in first
    assert len(journal_rows(page_text(mayor, url("audit/") + "?page=2"))) == 6


def test_the_journal_shows_names_but_no_reason_description_nor_phone(people: People) -> None:
    town = people.saint_paul
    mayor = people.client("mayor")
    reason = "Habite au 12 rue des Lilas à Vence, joignable au 06 12 34 56 78"
    mayor.post(url(f"members/{member(town, 'applicant').pk}/reject/"), {"reason": reason})
    html = page_text(mayor, url("audit/"))
    assert "Adhésion refusée" in html and f"Adhésion de {town.applicant.display_name}" in html
    assert "12 rue des Lilas" not in html and "06 12 34 56 78" not in html
    assert not [phone for phone in every_phone(town) if phone in html]


# --- Statistics export -----------------------------------------------------------------------------------------


def test_the_statistics_csv_is_the_communes_and_is_recorded(people: People) -> None:
    build(people.saint_paul, people.charleville)
    answer = people.client("referent").post(url(STATS), {"du": WINTER["from"], "au": WINTER["to"], "format": "csv"})
    assert answer.status_code == 200 and answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == 'attachment; filename="vigilants-statistiques-06128-2025-11-01-2026-02-28.csv"'
    assert answer.content.decode("utf-8-sig").split("\r\n") == [
        HEADER,
        "06128;Saint-Paul-de-Vence;06;2025-11;Cambriolage;2;0,571;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2025-11;Vol;1;;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2026-01;Véhicule suspect;1;;3500;2025;commune;8;non",
        "06128;Saint-Paul-de-Vence;06;2026-02;Tentative de cambriolage;1;0,286;3500;2025;commune;8;non",
        "",
    ]
    entry = AuditEntry.objects.get(action="stats.exported", commune__insee=OWN)
    assert entry.actor_id == people.saint_paul.referent.pk
    assert entry.after is not None
    assert (entry.after["format"], entry.after["rows"], entry.after["communes"]) == ("csv", 4, ["06128"])
    # Charleville's alert is not in it, and its journal knows nothing of this export.
    assert not AuditEntry.objects.filter(commune__insee=OTHER).exists()


def test_the_statistics_export_by_category_in_xlsx(people: People) -> None:
    build(people.saint_paul, people.charleville)
    data = {"du": WINTER["from"], "au": WINTER["to"], "format": "xlsx", "categories": ["cambriolage", "vol"]}
    answer = people.client("mayor").post(url(STATS), data)
    assert answer.status_code == 200 and answer["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = [row[:6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == [("06128", "Saint-Paul-de-Vence", "06", "2025-11", "Cambriolage", 2),
                    ("06128", "Saint-Paul-de-Vence", "06", "2025-11", "Vol", 1)]  # fmt: skip
    assert (AuditEntry.objects.get(commune__insee=OWN).after or {})["categories"] == ["cambriolage", "vol"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"du": "2026-02-01", "au": "2026-01-01", "format": "csv"}, "La date de début est après la date de fin."),
        ({"format": "json"}, "Choisissez CSV ou XLSX."),
        ({"format": "csv", "categories": ["vol", "piratage"]}, "Catégories inconnues : piratage"),
        ({"du": "1890-01-01", "format": "csv"}, "Date hors des limites"),
    ],
)
def test_a_wrong_statistics_export_is_refused_and_not_recorded(people: People, data: dict, message: str) -> None:
    answer = people.client("mayor").post(url(STATS), data)
    assert answer.status_code == 400 and message in answer.content.decode()
    assert "Content-Disposition" not in answer and not AuditEntry.objects.exists()


# --- Journal export --------------------------------------------------------------------------------------------


def test_the_journal_csv_says_who_did_what_without_phone_or_reason(people: People) -> None:
    town = people.saint_paul
    mayor = people.client("mayor")
    mayor.post(url(f"members/{member(town, 'resident').pk}/role/"), {"role": Role.REFERENT})
    mayor.post(url(f"members/{member(town, 'applicant').pk}/reject/"), {"reason": "Joignable au 06 12 34 56 78"})
    answer = mayor.post(url(JOURNAL))
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith('attachment; filename="vigilants-journal-06128-')
    body = answer.content.decode("utf-8-sig")
    lines = body.split("\r\n")
    assert lines[0] == "date;auteur;action;objet;détail" and len(lines) == 4 and lines[-1] == ""
    assert lines[1].endswith(f";{town.mayor};Adhésion refusée;Adhésion de {town.applicant};en attente → refusée")
    assert lines[2].endswith(f";{town.mayor};Rôle changé;Adhésion de {town.resident};habitant → voisin référent")
    assert "06 12 34 56 78" not in body and not [phone for phone in every_phone(town) if phone in body]
    entry = AuditEntry.objects.get(action="audit.exported")
    assert entry.after is not None
    assert (entry.actor_id, entry.after["rows"], entry.after["format"]) == (town.mayor.pk, 2, "csv")


def test_the_journal_export_follows_its_filters(people: People) -> None:
    town = people.saint_paul
    record(town, "policy.changed", datetime(2026, 1, 10, 9, tzinfo=UTC))
    record(town, "stats.exported", datetime(2026, 2, 10, 9, tzinfo=UTC))
    answer = people.client("mayor").post(url(JOURNAL), {"action": "stats.exported", "du": "2026-02-01"})
    lines = answer.content.decode("utf-8-sig").split("\r\n")
    assert len(lines) == 3 and lines[1].startswith("2026-02-10 10:00:00;") and "Statistiques exportées" in lines[1]
    assert AuditEntry.objects.get(action="audit.exported").after == {
        "format": "csv", "from": "2026-02-01", "to": None, "action": "stats.exported", "rows": 1,
    }  # fmt: skip


def test_a_name_cannot_become_a_spreadsheet_formula(people: People) -> None:
    town = people.saint_paul
    User.objects.filter(pk=town.mayor.pk).update(display_name='=HYPERLINK("http://example.test")')
    town.mayor.refresh_from_db()
    record(town, "policy.changed", datetime(2026, 1, 10, 9, tzinfo=UTC))
    body = people.client("mayor").post(url(JOURNAL)).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[1][1] == '\'=HYPERLINK("http://example.test")'


def test_a_wrong_journal_export_is_refused_and_not_recorded(people: People) -> None:
    answer = people.client("mayor").post(url(JOURNAL), {"du": "2026-03-01", "au": "2026-01-01"})
    assert answer.status_code == 400 and "La date de fin est avant la date de début." in answer.content.decode()
    assert not AuditEntry.objects.exists()


def test_a_referent_may_not_export_the_journal(people: People) -> None:
    assert people.client("referent").post(url(JOURNAL)).status_code == 403
    assert not AuditEntry.objects.exists()
