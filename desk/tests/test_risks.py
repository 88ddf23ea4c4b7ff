"""The desk's public warnings: who opens what (every persona, own and other commune), writing one through its
preview, its update and end, the vigilance prompts, delegates and rules; bad input answers 400 and changes nothing."""

import html
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from communes.models import Follow
from desk.risks_form import local_input
from desk.tests.conftest import MAYORS_PAGE, MODERATORS_PAGE, People, expect_statuses
from notifications.models import Delivery, Message, MessageSource
from notifications.tests.helpers import member
from notifications.tests.recording import transports_fixture  # noqa: F401 - fixture
from risks import instructions
from risks.models import Level, MessageType, RiskPolicy, RiskWarning, VigilanceChange, WarningDelegate
from risks.services import delegate_grant, warning_issue, warning_update
from risks.tests.helpers import change, issue
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db

BASE, OTHER_BASE = "/desk/communes/06128/risks/", "/desk/communes/08105/risks/"
NEW = BASE + "new/"
OTHER_COMMUNE_PAGE = {
    "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 200, "gendarme_06": 404,
    "gendarme_08": 403, "staff": 200,
}  # fmt: skip
# A write that succeeds redirects; whoever may not write is refused as the desk refuses (403, or 404 outside).
WRITES = {"anon": 302, "resident": 403, "referent": 403, "mayor": 302, "other_mayor": 404, "gendarme_06": 403,
          "gendarme_08": 404, "staff": 302}  # fmt: skip
INLINE_CODE = re.compile(r"""\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\bsrc=)""", re.IGNORECASE)


def form(**changes: Any) -> dict[str, Any]:
    return {"hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde au pont.",
            "instruction": "Ne prenez pas votre voiture.", "area_kind": "commune",
            "expires_at": local_input(timezone.now() + timedelta(hours=6)), **changes}  # fmt: skip


def preview(client: Client, path: str = NEW, **changes: Any) -> Any:
    return client.post(path, {**form(**changes), "step": "preview"})


def send(client: Client, path: str = NEW, **changes: Any) -> Any:
    """Preview, then send with the preview's token, as the mayor's browser does."""
    answer = preview(client, path, **changes)
    assert answer.status_code == 200, answer.content.decode()[:2000]
    return client.post(path, {**form(**changes), "step": "send", "draft": answer.context["draft"]})


def warnings_sent() -> int:
    return Message.objects.filter(source_type=MessageSource.WARNING).count()


def each_persona(people: People, act: Callable[[Client], int]) -> dict[str, int]:
    return {persona: act(people.client(persona)) for persona in WRITES}


# --- Who opens what --------------------------------------------------------------------------------------------


def test_the_pages_to_read_are_the_moderators(people: People) -> None:
    warning = issue(people.saint_paul)
    rise = change(people.saint_paul)
    for path in ("", f"{warning.pk}/", f"{warning.pk}/report.json", "vigilance/", f"vigilance/{rise.pk}/"):
        expect_statuses(people, "get", BASE + path, MODERATORS_PAGE)
    expect_statuses(people, "get", OTHER_BASE, OTHER_COMMUNE_PAGE)
    expect_statuses(people, "get", OTHER_BASE + "vigilance/", OTHER_COMMUNE_PAGE)
    # Under another commune's address the thread and the change do not exist, even for its mayor and staff.
    for path in (f"{warning.pk}/", f"vigilance/{rise.pk}/"):
        expect_statuses(people, "get", OTHER_BASE + path, {**OTHER_COMMUNE_PAGE, "other_mayor": 404, "staff": 404})


def test_the_pages_to_write_are_the_mayors_and_delegates(people: People) -> None:
    warning = issue(people.saint_paul)
    for path in ("new/", f"{warning.pk}/update/", "delegates/", "policy/"):
        expect_statuses(people, "get", BASE + path, MAYORS_PAGE)
    for path in ("new/", "delegates/", "policy/"):
        expect_statuses(people, "get", OTHER_BASE + path, OTHER_COMMUNE_PAGE)
    expect_statuses(people, "post", NEW, MAYORS_PAGE, {**form(), "step": "preview"})
    assert warnings_sent() == 1  # the thread's own: previews send nothing
    delegate_grant(commune=people.saint_paul.commune, actor=people.saint_paul.mayor, user=people.saint_paul.referent)
    referent = people.client("referent")
    assert referent.get(NEW).status_code == 200 and referent.get(BASE + f"{warning.pk}/update/").status_code == 200
    assert referent.get(BASE + "delegates/").status_code == 403  # the mayor's alone


def test_sending_ending_and_deciding_are_the_mayors_and_delegates(people: People) -> None:
    def sent(client: Client) -> int:
        return client.post(NEW, {**form(), "step": "send", "draft": uuid.uuid4().hex}).status_code

    assert each_persona(people, sent) == WRITES
    assert RiskWarning.objects.count() == 2  # the mayor's and staff's

    def sent_there(client: Client) -> int:
        return client.post(OTHER_BASE + "new/", {**form(), "step": "send", "draft": uuid.uuid4().hex}).status_code

    assert each_persona(people, sent_there) == {**OTHER_COMMUNE_PAGE, "other_mayor": 302, "staff": 302}
    assert RiskWarning.objects.filter(commune=people.charleville.commune).count() == 2

    def end(client: Client) -> int:
        return client.post(BASE + f"{issue(people.saint_paul).pk}/end/", {"text": "Fin."}).status_code

    assert each_persona(people, end) == WRITES

    def relay(client: Client) -> int:
        return client.post(BASE + f"vigilance/{change(people.saint_paul).pk}/relay/").status_code

    assert each_persona(people, relay) == WRITES

    def dismiss(client: Client) -> int:
        return client.post(BASE + f"vigilance/{change(people.saint_paul).pk}/dismiss/").status_code

    assert each_persona(people, dismiss) == WRITES
    assert RiskWarning.objects.filter(origin="vigilance").count() == 2


def test_delegates_and_rules_are_set_by_the_mayor(people: People) -> None:
    referent = people.saint_paul.referent

    def grant(client: Client) -> int:
        WarningDelegate.objects.all().delete()
        return client.post(BASE + "delegates/", {"user": referent.pk}).status_code

    assert each_persona(people, grant) == {**WRITES, "referent": 403}

    def toggle(client: Client) -> int:
        return client.post(BASE + "policy/", {"relay_red_automatically": "on"}).status_code

    assert each_persona(people, toggle) == WRITES


def test_the_menu_offers_the_risks_and_only_writers_the_new_warning(people: People) -> None:
    page = people.client("referent").get(BASE).content.decode()
    assert re.search(r'<a href="/desk/communes/06128/risks/" aria-current="page">Risques</a>', page)
    assert f'href="{NEW}"' not in page and f'href="{NEW}"' in people.client("mayor").get(BASE).content.decode()


# --- Writing a warning -----------------------------------------------------------------------------------------


def test_the_form_proposes_the_ready_instructions_of_the_hazard_and_level(people: People) -> None:
    mayor = people.client("mayor")
    page = mayor.get(NEW + "?hazard=heatwave&level=red")
    assert page.context["form"].instruction == instructions.ready_text("heatwave", "red")
    refilled = mayor.post(NEW, {**form(hazard="storm", level="red", instruction="mon texte"), "step": "instructions"})
    assert refilled.status_code == 200 and refilled.context["form"].instruction == instructions.ready_text("storm", "red")
    assert refilled.context["form"].title == "Crue du Loup"  # the rest as typed
    assert warnings_sent() == 0
    assert mayor.get(NEW + "?hazard=volcan&level=mauve").status_code == 200  # unknown: the defaults


def test_the_preview_shows_reach_and_sms_and_sends_nothing(people: People) -> None:
    answer = preview(people.client("mayor"), level="red")
    page = answer.content.decode()
    assert answer.status_code == 200 and warnings_sent() == 0 and not RiskWarning.objects.exists()
    assert answer.context["preview"].reach.reached == 3  # the referent and two residents: not the mayor
    assert "Cet avis atteindra 3 personnes." in page and "Vigilance rouge : Crue du Loup" in page
    assert "par tous les canaux" in page and 'name="draft"' in page and not INLINE_CODE.search(page)
    assert "URGENT Vigilants Saint-Paul-de-Vence : Vigilance rouge : Crue du Loup" in page  # the SMS as it goes


def test_the_preview_counts_the_followers_who_are_not_members(people: People) -> None:
    Follow.objects.create(user=UserFactory.create(preferences={"channels": ["sms"]}), commune=people.saint_paul.commune)
    Follow.objects.create(user=people.saint_paul.resident, commune=people.saint_paul.commune)  # a member: once
    answer = preview(people.client("mayor"))
    page = answer.content.decode()
    assert answer.context["preview"].reach.reached == 4
    assert "Les 4 personnes visées, par canal (3 membres et 1 abonné qui n’est pas membre)" in page


def test_sending_writes_one_warning_however_often_the_form_is_posted(people: People) -> None:
    mayor = people.client("mayor")
    answer = preview(mayor)
    data = {**form(), "step": "send", "draft": answer.context["draft"]}
    first, again = mayor.post(data=data, path=NEW), mayor.post(data=data, path=NEW)
    warning = RiskWarning.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == BASE + f"{warning.pk}/"
    assert warning.issued_by == people.saint_paul.mayor and warnings_sent() == 1
    without_token = mayor.post(NEW, {**form(), "step": "send"})
    assert without_token.status_code == 200 and without_token.context["unconfirmed"] and warnings_sent() == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"expires_at": local_input(timezone.now() - timedelta(hours=1))}, "expires_at", "dans le futur"),
        ({"expires_at": "demain"}, "expires_at", ""),
        ({"title": ""}, "title", ""),
        ({"hazard": "volcan"}, "hazard", ""),
        ({"area_kind": "circle", "latitude": "43.69", "longitude": "7.12"}, "radius_m", "Le rayon va de 50 à 20000"),
        ({"area_kind": "circle", "latitude": "nord", "longitude": "7.12", "radius_m": "500"}, "latitude", ""),
        ({"area_kind": "neighbourhoods"}, "neighbourhoods", "au moins un quartier"),
        ({"area_kind": "neighbourhoods", "neighbourhoods": ["x"]}, "neighbourhoods", ""),
        ({"severity": "Huge"}, "severity", ""),
    ],
)
def test_bad_input_is_a_400_in_french_and_nothing_is_sent(people: People, changes: dict[str, Any], field: str,
                                                          words: str) -> None:  # fmt: skip
    mayor = people.client("mayor")
    for step in ("preview", "send"):
        answer = mayor.post(NEW, {**form(**changes), "step": step, "draft": uuid.uuid4().hex})
        assert answer.status_code == 400, (step, answer.context["form"].errors if answer.context else answer)
        errors = answer.context["form"].errors
        assert field in errors and words in " ".join(errors[field])
        assert "L'avis n'est pas parti" in answer.content.decode()
    assert not RiskWarning.objects.exists() and warnings_sent() == 0


def test_the_forms_need_their_csrf_token(people: People) -> None:
    mayor = Client(enforce_csrf_checks=True)
    mayor.force_login(people.saint_paul.mayor)
    warning = issue(people.saint_paul)
    assert mayor.post(NEW, {**form(), "step": "preview"}).status_code == 403
    assert mayor.post(BASE + f"{warning.pk}/end/", {"text": "Fin."}).status_code == 403
    assert mayor.post(BASE + "policy/", {"relay_red_automatically": "on"}).status_code == 403
    assert RiskWarning.objects.count() == 1 and not RiskPolicy.objects.exists()


def test_a_warning_for_quartiers_reaches_theirs(people: People) -> None:
    north = NeighbourhoodFactory.create(commune=people.saint_paul.commune)
    answer = send(people.client("mayor"), area_kind="neighbourhoods", neighbourhoods=[str(north.pk)])
    assert answer.status_code == 302
    assert list(RiskWarning.objects.get().neighbourhoods.all()) == [north]


# --- A thread: update and end ----------------------------------------------------------------------------------


def test_an_update_starts_from_the_latest_row_and_joins_the_thread(people: People) -> None:
    first = issue(people.saint_paul)
    second = warning_update(previous=first, actor=people.saint_paul.mayor, title="Le Loup monte encore")
    mayor = people.client("mayor")
    assert mayor.get(BASE + f"{first.pk}/update/")["Location"] == BASE + f"{second.pk}/update/"
    page = mayor.get(BASE + f"{second.pk}/update/")
    assert page.context["form"].title == "Le Loup monte encore"
    path = BASE + f"{second.pk}/update/"
    answer = send(mayor, path, title="Le Loup monte encore", level="red")
    update = RiskWarning.objects.latest("pk")
    assert answer.status_code == 302 and (update.msg_type, update.thread_id, update.references_id) == (
        MessageType.UPDATE, first.pk, second.pk)  # fmt: skip
    # Sent from a stale page: the thread moved on, 409 and nothing sent.
    stale = send(mayor, path, title="Encore")
    assert stale.status_code == 409 and "plus récente" in stale.content.decode()
    assert RiskWarning.objects.count() == 3


def test_the_thread_page_shows_the_history_and_the_end_closes_it(people: People) -> None:
    first = issue(people.saint_paul)
    mayor = people.client("mayor")
    page = mayor.get(BASE + f"{first.pk}/")
    assert "Mettre fin à l'avis" in page.content.decode() and not INLINE_CODE.search(page.content.decode())
    assert mayor.post(BASE + f"{first.pk}/end/", {"text": "  "}).status_code == 400
    assert mayor.post(BASE + f"{first.pk}/end/", {"text": "x" * 2001}).status_code == 400
    assert RiskWarning.objects.count() == 1
    ended = mayor.post(BASE + f"{first.pk}/end/", {"text": "Décrue amorcée."})
    end = RiskWarning.objects.get(msg_type=MessageType.CANCEL)
    assert ended["Location"] == BASE + f"{end.pk}/"
    again = mayor.post(BASE + f"{end.pk}/end/", {"text": "Encore"})
    assert again.status_code == 409 and "terminé" in again.content.decode()
    history = mayor.get(BASE + f"{first.pk}/").content.decode()
    assert "Décrue amorcée." in history and "Mettre fin à l'avis" not in history and "terminé" in history
    assert mayor.get(BASE + f"{end.pk}/update/")["Location"] == BASE + f"{end.pk}/"


def test_the_list_shows_each_thread_once_in_its_latest_state(people: People) -> None:
    first = issue(people.saint_paul)
    warning_update(previous=first, actor=people.saint_paul.mayor, title="Le Loup monte encore", level=Level.RED)
    issue(people.charleville, title="Ailleurs")
    page = people.client("referent").get(BASE).content.decode()
    assert "Le Loup monte encore" in page and "Crue du Loup" not in page and "Ailleurs" not in page


# --- Vigilance prompts -----------------------------------------------------------------------------------------


def test_relaying_in_one_step_sends_the_prefilled_warning(people: People) -> None:
    rise = change(people.saint_paul, Level.RED)
    mayor = people.client("mayor")
    page = html.unescape(mayor.get(BASE + f"vigilance/{rise.pk}/").content.decode())
    assert "Relayer tel quel" in page and "Ne pas relayer" in page and "Mettez-vous à l'abri" in page
    answer = mayor.post(BASE + f"vigilance/{rise.pk}/relay/")
    rise.refresh_from_db()
    assert rise.relayed_as is not None and answer["Location"] == BASE + f"{rise.relayed_as.pk}/"
    again = mayor.post(BASE + f"vigilance/{rise.pk}/relay/")
    assert again.status_code == 409 and warnings_sent() == 1
    assert [e.action for e in AuditEntry.objects.order_by("id")] == ["warning.issued", "vigilance.relayed"]


def test_relaying_after_editing_goes_through_the_form(people: People) -> None:
    rise = change(people.saint_paul, Level.ORANGE, headline="Crue du Loup")
    mayor = people.client("mayor")
    page = mayor.get(NEW + f"?vigilance={rise.pk}")
    assert page.context["form"].title == "Crue du Loup" and page.context["target"].change == rise
    answer = send(mayor, title="Le Loup va déborder", vigilance=str(rise.pk))
    rise.refresh_from_db()
    assert answer.status_code == 302 and rise.relayed_as is not None and rise.relayed_as.title == "Le Loup va déborder"
    assert rise.decision.decided_by == people.saint_paul.mayor


def test_a_change_of_another_commune_is_not_found_here(people: People) -> None:
    theirs = change(people.charleville)
    mayor = people.client("mayor")
    assert mayor.get(NEW + f"?vigilance={theirs.pk}").status_code == 404
    assert mayor.get(NEW + "?vigilance=abc").status_code == 404
    assert mayor.post(BASE + f"vigilance/{theirs.pk}/relay/").status_code == 404


def test_not_relaying_closes_the_prompt_and_is_logged(people: People) -> None:
    rise = change(people.saint_paul, Level.ORANGE)
    mayor = people.client("mayor")
    assert "attend votre décision" in mayor.get(BASE).content.decode()
    assert mayor.post(BASE + f"vigilance/{rise.pk}/dismiss/")["Location"] == BASE + "vigilance/"
    assert "Aucune vigilance n'attend de décision." in mayor.get(BASE + "vigilance/").content.decode()
    assert mayor.post(BASE + f"vigilance/{rise.pk}/dismiss/").status_code == 409
    assert AuditEntry.objects.get().action == "vigilance.dismissed" and warnings_sent() == 0
    assert VigilanceChange.objects.get().decision.outcome == "dismissed"


# --- Delegates and rules ---------------------------------------------------------------------------------------


def test_the_mayor_names_and_revokes_a_referent(people: People) -> None:
    mayor, referent = people.client("mayor"), people.saint_paul.referent
    assert referent.display_name in mayor.get(BASE + "delegates/").content.decode()  # offered
    refused = mayor.post(BASE + "delegates/", {"user": people.saint_paul.resident.pk})
    assert refused.status_code == 400 and "Choisissez un référent" in refused.content.decode()
    assert mayor.post(BASE + "delegates/", {"user": "x"}).status_code == 400
    assert mayor.post(BASE + "delegates/", {"user": referent.pk}).status_code == 302
    assert WarningDelegate.objects.get().user == referent
    assert mayor.post(BASE + "delegates/", {"user": referent.pk}).status_code == 409  # has it already
    assert mayor.post(BASE + f"delegates/{referent.pk}/revoke/").status_code == 302
    assert not WarningDelegate.objects.exists()
    assert mayor.post(BASE + f"delegates/{referent.pk}/revoke/").status_code == 404
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["warning_delegate.granted", "warning_delegate.revoked"]


def test_the_policy_toggle(people: People) -> None:
    mayor = people.client("mayor")
    assert mayor.post(BASE + "policy/", {"relay_red_automatically": "on"}).status_code == 302
    assert RiskPolicy.objects.get().relay_red_automatically
    assert 'name="relay_red_automatically" checked' in mayor.get(BASE + "policy/").content.decode()
    mayor.post(BASE + "policy/", {})
    assert not RiskPolicy.objects.get().relay_red_automatically
    assert AuditEntry.objects.filter(action="risk_policy.changed").count() == 2


# --- From the desk to the phones -------------------------------------------------------------------------------


@pytest.mark.usefixtures("transports")
def test_the_preview_counts_what_the_fan_out_then_plans(
    people: People, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    mayor = people.client("mayor")
    answer = preview(mayor, level="red")
    reach = answer.context["preview"].reach
    with django_capture_on_commit_callbacks(execute=True):
        mayor.post(NEW, {**form(level="red"), "step": "send", "draft": answer.context["draft"]})
    rows = Delivery.objects.filter(message__source_type=MessageSource.WARNING)
    assert reach.reached == rows.values("user").distinct().count() == 3
    assert reach.sms == rows.filter(channel="sms").count()


def test_staff_sees_every_communes_risks_and_writes_there(people: People) -> None:
    warning = warning_issue(commune=people.charleville.commune, actor=people.charleville.mayor, hazard="storm",
                            level="yellow", title="Vent", description="Rafales.",
                            expires_at=timezone.now() + timedelta(hours=3))  # fmt: skip
    staff = people.client("staff")
    assert staff.get(OTHER_BASE + f"{warning.pk}/").status_code == 200
    assert send(staff, OTHER_BASE + "new/").status_code == 302


def test_the_journal_names_what_was_done_in_french(people: People) -> None:
    first = issue(people.saint_paul)
    warning_update(previous=first, actor=people.saint_paul.mayor, level=Level.RED)
    page = people.client("mayor").get("/desk/communes/06128/audit/").content.decode()
    assert "Avis de risque émis" in page and "Avis de risque mis à jour" in page
    assert f"Avis de risque n° {first.pk}" in page and ">warning.issued<" not in page


def test_a_lifted_vigilance_is_shown_with_nothing_to_relay(people: People) -> None:
    lifted = change(people.saint_paul, "", previous_level=Level.ORANGE)
    mayor = people.client("mayor")
    page = mayor.get(BASE + f"vigilance/{lifted.pk}/")
    assert page.status_code == 200 and "Relayer tel quel" not in page.content.decode()
    assert mayor.get(NEW + f"?vigilance={lifted.pk}")["Location"] == BASE + f"vigilance/{lifted.pk}/"
    assert mayor.post(BASE + f"vigilance/{lifted.pk}/relay/").status_code == 409
    assert not RiskWarning.objects.exists()


def test_a_new_level_in_the_update_form_brings_its_own_cap_triple(people: People) -> None:
    first = issue(people.saint_paul)  # orange: Severe, Expected, Likely
    chosen = issue(people.saint_paul, severity="Minor")
    mayor = people.client("mayor")
    page = mayor.get(BASE + f"{first.pk}/update/").context["form"]
    assert (page.severity, page.urgency, page.certainty) == ("", "", "")
    assert mayor.get(BASE + f"{chosen.pk}/update/").context["form"].severity == "Minor"  # the mayor's choice stays
    send(mayor, BASE + f"{first.pk}/update/", level="red")
    update = RiskWarning.objects.get(references=first)
    assert (update.level, update.severity, update.urgency) == ("red", "Extreme", "Immediate")


def test_the_script_may_replace_only_ready_instructions(people: People) -> None:
    mayor = people.client("mayor")
    assert 'data-instructions-ready="true"' in mayor.get(NEW).content.decode()
    own = issue(people.saint_paul, instruction="Rendez-vous au gymnase.")
    assert 'data-instructions-ready="false"' in mayor.get(BASE + f"{own.pk}/update/").content.decode()


def test_the_preview_shows_who_will_be_called_and_what_the_calls_cost(people: People, settings: Any) -> None:
    settings.CALL_MINUTE_PRICE_EUR = 0.2
    for _ in range(2):
        member(people.saint_paul.commune, channels=["voice"])
    answer = preview(people.client("mayor"))
    found, page = answer.context["preview"], answer.content.decode()
    assert found.calls == 2 and found.call_minutes >= 2 and found.call_cost == found.call_minutes * Decimal("0.2")
    figures = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', page)
    assert ("Appel vocal", "2") in figures
    assert f"{found.call_minutes} min" in page
    assert f"{found.call_cost:.2f}".replace(".", ",") + " € (0,20 €/min)" in page


def test_the_preview_shows_no_calls_when_nobody_is_called(people: People) -> None:
    page = preview(people.client("mayor")).content.decode()
    assert "Appel vocal" not in page and "€/min" not in page
