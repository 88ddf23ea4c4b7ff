"""The moderation queue and a report's page: who opens them, and each action through the alerts services."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertStatus, FollowUp, FollowUpKind
from audit.models import AuditEntry
from communes.models import Membership
from conftest import Town
from desk.tests.conftest import MODERATORS_PAGE, People, expect_statuses
from notifications.models import Message
from tests.factories import NeighbourhoodFactory
from vigilants.categories import Category

pytestmark = pytest.mark.django_db

# Charleville-Mézières' desk: its mayor and staff; a gendarme of the Ardennes gets the French 403; Saint-Paul's
# people, and the Alpes-Maritimes' gendarme, a 404 as for a commune outside their reach.
CHARLEVILLE_PAGE = {
    "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 200, "gendarme_06": 404,
    "gendarme_08": 403, "staff": 200,
}  # fmt: skip
# An action the report's state or the input refuses: those who may moderate get the page again, with its errors.
REFUSED_HERE = {**MODERATORS_PAGE, "referent": 400, "mayor": 400, "staff": 400}
REFUSED_IN_CHARLEVILLE = {**CHARLEVILLE_PAGE, "other_mayor": 400, "staff": 400}
TEXT = "Camionnette blanche qui fait le tour du quartier"


def report(town: Town, minutes_ago: int = 0, **fields: Any) -> Alert:
    """A resident's report, written directly (as if the sensitive-words list had been shorter when it came in)."""
    values = {"commune": town.commune, "reporter": town.resident, "category": Category.VEHICULE_SUSPECT,
              "description": TEXT, "occurred_at": timezone.now(), "latitude": 43.69811, "longitude": 7.12345,
              **fields}  # fmt: skip
    alert = Alert.objects.create(**values)
    if minutes_ago:
        Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=minutes_ago))
        alert.refresh_from_db()
    return alert


def approved(town: Town, **fields: Any) -> Alert:
    return report(town, status=AlertStatus.APPROVED, moderated_by=town.mayor, moderated_at=timezone.now(), **fields)


def url(alert: Alert, action: str = "", insee: str | None = None) -> str:
    path = f"/desk/communes/{insee or alert.commune.insee}/reports/{alert.pk}/"
    return f"{path}{action}/" if action else path


def database(alert: Alert) -> tuple[Any, ...]:
    """What an action could change: the report, its follow-ups, the outbox and the audit log."""
    row = Alert.objects.filter(pk=alert.pk).values("status", "description", "category", "urgent", "closed_at",
                                                   "rejection_reason", "moderated_by").get()  # fmt: skip
    return row, FollowUp.objects.count(), Message.objects.count(), AuditEntry.objects.count()


def page(response: Any) -> str:
    return str(response.content.decode())


def ids(html: str, testid: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-testid="{testid}" data-report="(\d+)"', html)]


# ---- Who opens what ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/desk/communes/{insee}/reports/", "/desk/communes/{insee}/reports/{pk}/"])
def test_the_pages_answer_each_persona_in_each_commune(people: People, path: str) -> None:
    here, there = report(people.saint_paul), report(people.charleville)
    expect_statuses(people, "get", path.format(insee="06128", pk=here.pk), MODERATORS_PAGE)
    expect_statuses(people, "get", path.format(insee="08105", pk=there.pk), CHARLEVILLE_PAGE)


def test_another_communes_report_is_not_found_from_this_desk(people: People) -> None:
    there = report(people.charleville)
    expect_statuses(people, "get", url(there, insee="06128"), {
        "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 404, "gendarme_06": 403,
        "gendarme_08": 404, "staff": 404,
    })  # fmt: skip
    expect_statuses(people, "post", url(there, "approve", insee="06128"), {
        "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 404, "gendarme_06": 403,
        "gendarme_08": 404, "staff": 404,
    })  # fmt: skip
    assert Alert.objects.get(pk=there.pk).status == AlertStatus.PENDING


def test_a_broadcast_is_no_report_of_the_desk(people: People) -> None:
    broadcast = approved(people.saint_paul, kind=AlertKind.BROADCAST, title="Coupure d'eau")
    assert people.client("mayor").get(url(broadcast)).status_code == 404


def _refused_scene(town: Town, action: str) -> tuple[Alert, dict[str, str]]:
    """A report and input that the action must refuse, whoever posts it."""
    if action == "approve":
        return report(town, status=AlertStatus.REJECTED, rejection_reason="Hors sujet"), {}
    if action in ("reject", "edit"):
        return report(town), {"reason": "", "description": "", "category": Category.VOL}
    return approved(town), {"body": ""}


@pytest.mark.parametrize("action", ["approve", "reject", "edit", "close", "erratum"])
def test_each_action_answers_each_persona_and_a_refusal_changes_nothing(people: People, action: str) -> None:
    here, data = _refused_scene(people.saint_paul, action)
    there, _ = _refused_scene(people.charleville, action)
    before = database(here), database(there)
    expect_statuses(people, "post", url(here, action), REFUSED_HERE, data)
    expect_statuses(people, "post", url(there, action), REFUSED_IN_CHARLEVILLE, data)
    assert (database(here), database(there)) == before


def test_approval_by_each_persona_publishes_once(people: People) -> None:
    alert = report(people.saint_paul)
    # In the matrix's order: the referent publishes it; the mayor and staff, coming after, are told it is decided.
    expect_statuses(people, "post", url(alert, "approve"), {**MODERATORS_PAGE, "referent": 302, "mayor": 400, "staff": 400})
    alert.refresh_from_db()
    assert (alert.status, alert.moderated_by) == (AlertStatus.APPROVED, people.saint_paul.referent)
    assert Message.objects.filter(source_type="alert", source_id=alert.pk).count() == 1


def test_actions_are_posted_never_got(people: People) -> None:
    alert = report(people.saint_paul)
    assert people.client("mayor").get(url(alert, "approve")).status_code == 405
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.PENDING


def test_a_post_without_the_csrf_token_is_refused(people: People) -> None:
    alert = report(people.saint_paul)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.saint_paul.mayor)
    assert client.post(url(alert, "approve")).status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.PENDING
    # The same request with the page's token goes through: the 403 above was the missing token.
    client.get(url(alert))
    assert client.post(url(alert, "approve"), {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}).status_code == 302
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.APPROVED


# ---- The queue ---------------------------------------------------------------------------------------------------


def test_the_queue_lists_pending_reports_oldest_first(people: People) -> None:
    middle = report(people.saint_paul, minutes_ago=60)
    oldest = report(people.saint_paul, minutes_ago=180)
    newest = report(people.saint_paul, minutes_ago=5)
    approved(people.saint_paul)
    report(people.charleville, minutes_ago=500)
    html = page(people.client("referent").get("/desk/communes/06128/reports/"))
    assert ids(html, "queue-row") == [oldest.pk, middle.pk, newest.pk]


def test_the_queue_is_paginated(people: People) -> None:
    alerts = [report(people.saint_paul, minutes_ago=100 - n) for n in range(21)]
    client = people.client("mayor")
    first = page(client.get("/desk/communes/06128/reports/"))
    second = page(client.get("/desk/communes/06128/reports/?page=2"))
    assert ids(first, "queue-row") == [a.pk for a in alerts[:20]]
    assert ids(second, "queue-row") == [alerts[20].pk]
    assert "page 2 sur 2" in second


def test_the_queue_shows_what_a_moderator_needs_and_never_the_phone(people: People) -> None:
    town = people.saint_paul
    quarter = NeighbourhoodFactory.create(commune=town.commune, name="Les Fumerates")
    Membership.objects.filter(user=town.resident, commune=town.commune).update(neighbourhood=quarter)
    town.resident.display_name = "Claire Dupont"
    town.resident.save(update_fields=["display_name"])
    alert = report(town, description="Deux Roumains essaient les poignées des voitures", confirmations_count=3,
                   category=Category.DEMARCHAGE_SUSPECT)  # fmt: skip
    html = page(people.client("referent").get("/desk/communes/06128/reports/"))
    row = html[html.index(f'data-report="{alert.pk}"') :].split("</tr>")[0]
    assert "Démarchage suspect" in row and "Claire Dupont" in row and "Les Fumerates" in row
    assert "« roumains »" in row and "la nationalité" in row
    assert "<td>3</td>" in row
    assert "43.69811" in html and "7.12345" in html  # the moderators' map: the exact position
    for shown in (str(town.resident.phone), town.resident.phone.as_national, town.resident.phone.as_national[-8:]):
        assert shown not in html


def test_the_queue_lists_published_alerts_still_open_with_their_follow_up_links(people: People) -> None:
    town = people.saint_paul
    open_alert = approved(town)
    closed = approved(town, closed_at=timezone.now())
    pending = report(town)
    html = page(people.client("mayor").get("/desk/communes/06128/reports/"))
    assert ids(html, "published-row") == [open_alert.pk]
    assert f"{url(open_alert)}#fin-d-alerte" in html and f"{url(open_alert)}#erratum" in html
    assert closed.pk not in ids(html, "queue-row") and pending.pk not in ids(html, "published-row")


# ---- One report's actions ----------------------------------------------------------------------------------------


def test_approving_publishes_and_enqueues_the_message(people: People) -> None:
    alert = report(people.saint_paul)
    client = people.client("mayor")
    answer = client.post(url(alert, "approve"))
    assert (answer.status_code, answer["Location"]) == (302, "/desk/communes/06128/reports/")
    alert.refresh_from_db()
    assert (alert.status, alert.moderated_by) == (AlertStatus.APPROVED, people.saint_paul.mayor)
    message = Message.objects.get(source_type="alert", source_id=alert.pk)
    assert (message.kind, message.body, message.exclude_user_id) == ("alert", TEXT, people.saint_paul.resident.pk)
    assert AuditEntry.objects.filter(action="alert.approved", actor_id=people.saint_paul.mayor.pk).count() == 1
    assert f"Signalement n° {alert.pk} publié" in page(client.get(answer["Location"]))


def test_approving_twice_is_refused_in_french(people: People) -> None:
    alert = report(people.saint_paul)
    client = people.client("mayor")
    assert client.post(url(alert, "approve")).status_code == 302
    again = client.post(url(alert, "approve"))
    assert again.status_code == 400
    assert "Cette alerte a déjà été modérée." in page(again)
    assert Message.objects.filter(source_id=alert.pk).count() == 1


def test_a_text_naming_a_persons_origin_is_not_published(people: People) -> None:
    # Came in before the word list had it: the service refuses to publish it now, the page says why.
    alert = report(people.saint_paul, description="Deux Roumains essaient les poignées des voitures")
    answer = people.client("mayor").post(url(alert, "approve"))
    assert answer.status_code == 400
    assert "Décrivez le comportement, pas la personne" in page(answer)
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.PENDING and not Message.objects.exists()


def test_rejecting_needs_a_reason(people: People) -> None:
    alert = report(people.saint_paul)
    client = people.client("referent")
    before = database(alert)
    for reason in ("", "   "):
        empty = client.post(url(alert, "reject"), {"reason": reason})
        assert empty.status_code == 400
        assert "Ce champ est obligatoire." in page(empty) and 'aria-invalid="true"' in page(empty)
    too_long = client.post(url(alert, "reject"), {"reason": "x" * 501})
    assert too_long.status_code == 400 and "au plus 500 caractères" in page(too_long)
    assert database(alert) == before
    assert client.post(url(alert, "reject"), {"reason": "Pas assez précis"}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.rejection_reason) == (AlertStatus.REJECTED, "Pas assez précis")
    assert not Message.objects.exists()


def test_editing_saves_then_publishing_sends_the_edited_text(people: People) -> None:
    alert = report(people.saint_paul)
    client = people.client("referent")
    edits = {"description": "Camionnette grise, plaque en 06, tourne rue des Oliviers", "category": Category.VOL}
    saved = client.post(url(alert, "edit"), edits)
    assert (saved.status_code, saved["Location"]) == (302, url(alert))
    alert.refresh_from_db()
    assert (alert.status, alert.description, alert.category, alert.urgent) == (
        AlertStatus.PENDING, edits["description"], Category.VOL, False)  # fmt: skip
    assert not Message.objects.exists()
    published = client.post(url(alert, "edit"), {**edits, "urgent": "on", "publish": "1"})
    assert published.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.urgent) == (AlertStatus.APPROVED, True)
    message = Message.objects.get(source_id=alert.pk)
    assert (message.body, message.urgent, message.category) == (edits["description"], True, Category.VOL)
    assert AuditEntry.objects.filter(action="alert.edited").count() == 2


def test_a_refused_edit_changes_nothing(people: People) -> None:
    alert = report(people.saint_paul)
    client = people.client("mayor")
    before = database(alert)
    sensitive = client.post(url(alert, "edit"), {"description": "Un homme noir regarde les boîtes aux lettres",
                                                  "category": Category.VOL, "publish": "1"})  # fmt: skip
    assert sensitive.status_code == 400 and "Décrivez le comportement" in page(sensitive)
    unchanged = client.post(url(alert, "edit"), {"description": TEXT, "category": Category.VEHICULE_SUSPECT})
    assert unchanged.status_code == 400 and "Rien n’a changé" in page(unchanged)
    unknown = client.post(url(alert, "edit"), {"description": TEXT, "category": "ovni"})
    assert unknown.status_code == 400 and "Sélectionnez un choix valide" in page(unknown)
    assert database(alert) == before


def test_editing_a_decided_report_is_refused(people: People) -> None:
    alert = report(people.saint_paul, status=AlertStatus.REJECTED)
    before = database(alert)
    answer = people.client("mayor").post(url(alert, "edit"), {"description": "Autre texte assez long", "category": "vol"})
    assert answer.status_code == 400 and "Une alerte modérée ne se modifie plus" in page(answer)
    assert database(alert) == before


def test_closing_sends_a_fin_d_alerte_and_closes(people: People) -> None:
    alert = approved(people.saint_paul)
    client = people.client("referent")
    answer = client.post(url(alert, "close"), {"body": "Le véhicule a quitté la commune."})
    assert (answer.status_code, answer["Location"]) == (302, url(alert))
    followup = FollowUp.objects.get(alert=alert)
    assert (followup.kind, followup.body, followup.author) == (FollowUpKind.END, "Le véhicule a quitté la commune.",
                                                               people.saint_paul.referent)  # fmt: skip
    assert Alert.objects.get(pk=alert.pk).closed_at is not None
    assert Message.objects.filter(kind="followup", body="Le véhicule a quitté la commune.").count() == 1
    again = client.post(url(alert, "close"), {"body": "Encore fini."})
    assert again.status_code == 400 and "Cette alerte est déjà close." in page(again)
    assert FollowUp.objects.count() == 1


def test_an_erratum_corrects_without_closing(people: People) -> None:
    alert = approved(people.saint_paul)
    answer = people.client("mayor").post(url(alert, "erratum"), {"body": "Il s'agissait d'une camionnette grise."})
    assert answer.status_code == 302
    followup = FollowUp.objects.get(alert=alert)
    assert (followup.kind, followup.body) == (FollowUpKind.ERRATUM, "Il s'agissait d'une camionnette grise.")
    assert Alert.objects.get(pk=alert.pk).closed_at is None
    assert "Il s&#x27;agissait d&#x27;une camionnette grise." in page(people.client("mayor").get(url(alert)))


def test_a_follow_up_needs_a_published_alert_and_a_text(people: People) -> None:
    pending = report(people.saint_paul)
    published = approved(people.saint_paul)
    client = people.client("mayor")
    early = client.post(url(pending, "close"), {"body": "Fin."})
    assert early.status_code == 400 and "Seule une alerte publiée peut recevoir une suite." in page(early)
    short = client.post(url(published, "erratum"), {"body": "x"})
    assert short.status_code == 400 and "au moins 2 caractères" in page(short)
    assert not FollowUp.objects.exists() and Alert.objects.get(pk=published.pk).closed_at is None


def test_the_report_page_offers_only_what_its_state_allows(people: People) -> None:
    client = people.client("mayor")
    pending = page(client.get(url(report(people.saint_paul))))
    assert "/approve/" in pending and "/reject/" in pending and "/edit/" in pending and "/close/" not in pending
    published = page(client.get(url(approved(people.saint_paul))))
    assert "/close/" in published and "/erratum/" in published and "/approve/" not in published
    assert 'data-testid="deliveries"' in published
    rejected = page(client.get(url(report(people.saint_paul, status=AlertStatus.REJECTED, rejection_reason="Doublon"))))
    assert "/approve/" not in rejected and "/close/" not in rejected and "Motif : Doublon" in rejected


def test_the_report_page_never_shows_the_phone(people: People) -> None:
    town = people.saint_paul
    town.resident.display_name = "Claire Dupont"
    town.resident.save(update_fields=["display_name"])
    alert = report(town, address="12 chemin des Oliviers")
    html = page(people.client("referent").get(url(alert)))
    assert "Claire Dupont" in html
    assert "12 chemin des Oliviers" in html
    for shown in (str(town.resident.phone), town.resident.phone.as_national, town.resident.phone.as_national[-8:]):
        assert shown not in html
