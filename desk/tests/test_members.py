"""The members and quartiers pages: who opens them, who decides what, and what a refusal leaves unchanged."""

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEntry
from communes.models import Membership, MembershipStatus, Neighbourhood, Role
from conftest import Town
from desk.tests.conftest import MAYORS_PAGE, MODERATORS_PAGE, PERSONAS, People, expect_statuses
from desk.tests.members_scene import (
    MAYORS_POST,
    MODERATORS_POST,
    OTHER,
    OTHER_COMMUNE_PAGE,
    OTHER_COMMUNE_POST,
    OWN,
    every_phone,
    page_text,
    phone_forms,
    town_of,
)
from stats.tests.test_dashboards import INLINE_CODE
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def members_url(insee: str, action: str = "", pk: int | None = None) -> str:
    return f"/desk/communes/{insee}/members/" + (f"{pk}/{action}/" if action else "")


def membership_of(town: Town, who: str) -> Membership:
    return Membership.objects.get(commune=town.commune, user=getattr(town, who))


# --- Who opens the pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["members", "neighbourhoods"])
def test_the_pages_answer_each_persona_in_each_commune(people: People, page: str) -> None:
    expect_statuses(people, "get", f"/desk/communes/{OWN}/{page}/", MODERATORS_PAGE)
    expect_statuses(people, "get", f"/desk/communes/{OTHER}/{page}/", OTHER_COMMUNE_PAGE)


# --- Who may act: one fresh target per persona, the answer and what changed -----------------------------------


def _pending(town: Town) -> Membership:
    return MembershipFactory.create(commune=town.commune, status=MembershipStatus.PENDING, user=UserFactory.create())


def _resident(town: Town) -> Membership:
    return MembershipFactory.create(commune=town.commune, role=Role.RESIDENT, user=UserFactory.create())


def _approved(m: Membership) -> bool:
    return Membership.objects.get(pk=m.pk).status == MembershipStatus.APPROVED


def _rejected(m: Membership) -> bool:
    return Membership.objects.get(pk=m.pk).status == MembershipStatus.REJECTED


def _promoted(m: Membership) -> bool:
    return Membership.objects.get(pk=m.pk).role == Role.REFERENT


def _removed(m: Membership) -> bool:
    return not Membership.objects.filter(pk=m.pk).exists()


# action: (target maker, data, did it happen, expected answers in Saint-Paul)
ACTIONS: dict[str, tuple[Callable[[Town], Membership], dict[str, str], Callable[[Membership], bool], dict[str, int]]] = {
    "approve": (_pending, {}, _approved, MODERATORS_POST),
    "reject": (_pending, {"reason": "Adresse hors de la commune"}, _rejected, MODERATORS_POST),
    "role": (_resident, {"role": Role.REFERENT}, _promoted, MAYORS_POST),
    "remove": (_resident, {}, _removed, MAYORS_POST),
}
ALLOWED = {302}


@pytest.mark.parametrize("insee", [OWN, OTHER])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_answers_each_persona_and_changes_only_what_they_may(
    people: People, action: str, persona: str, insee: str
) -> None:
    make, data, happened, own_expected = ACTIONS[action]
    expected = own_expected if insee == OWN else OTHER_COMMUNE_POST
    target = make(town_of(people, insee))
    before = AuditEntry.objects.count()
    expect_statuses(people, "post", members_url(insee, action, target.pk), {persona: expected[persona]}, data)
    allowed = expected[persona] in ALLOWED and persona != "anon"
    assert happened(target) is allowed
    assert AuditEntry.objects.count() == before + (1 if allowed else 0)


def test_a_membership_of_another_commune_is_not_found_from_this_communes_desk(people: People) -> None:
    mayor = people.client("mayor")
    foreign = membership_of(people.charleville, "applicant")
    for action, data in [("approve", {}), ("reject", {"reason": "Non"}), ("role", {"role": "referent"}), ("remove", {})]:
        assert mayor.post(members_url(OWN, action, foreign.pk), data).status_code == 404, action
    assert Membership.objects.get(pk=foreign.pk).status == MembershipStatus.PENDING


# --- Requests: accept, refuse with a reason ---------------------------------------------------------------------


def test_the_pending_requests_come_oldest_first_with_what_was_given(people: People) -> None:
    town = people.saint_paul
    centre = Neighbourhood.objects.create(commune=town.commune, name="Les Remparts")
    older = MembershipFactory.create(commune=town.commune, status="pending", address="4 chemin des Oliviers",
                                     neighbourhood=centre, user=UserFactory.create(display_name="Aline Ancienne"))  # fmt: skip
    Membership.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=3))
    page = page_text(people.client("referent"), members_url(OWN))
    pending = page.split('data-testid="pending"')[1].split("</table>")[0]
    assert pending.index("Aline Ancienne") < pending.index(str(town.applicant.display_name))
    assert "4 chemin des Oliviers" in pending and "Les Remparts" in pending


def test_a_referent_accepts_a_request(people: People) -> None:
    request = membership_of(people.saint_paul, "applicant")
    answer = people.client("referent").post(members_url(OWN, "approve", request.pk), follow=True)
    assert answer.redirect_chain[-1] == (members_url(OWN), 302)
    assert "est acceptée" in answer.content.decode()
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (MembershipStatus.APPROVED, people.saint_paul.referent)
    entry = AuditEntry.objects.get(action="membership.approved")
    assert entry.actor_id == people.saint_paul.referent.pk and entry.object_id == str(request.pk)


def test_a_refusal_needs_a_reason_and_without_one_changes_nothing(people: People) -> None:
    request = membership_of(people.saint_paul, "applicant")
    answer = people.client("mayor").post(members_url(OWN, "reject", request.pk), {"reason": "  "})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Ce champ ne peut être vide." in page and 'aria-invalid="true"' in page
    request.refresh_from_db()
    assert request.status == MembershipStatus.PENDING and request.rejection_reason == ""
    assert not AuditEntry.objects.exists()


def test_a_refusal_keeps_its_reason_for_the_applicant(people: People) -> None:
    request = membership_of(people.saint_paul, "applicant")
    answer = people.client("mayor").post(members_url(OWN, "reject", request.pk), {"reason": "Adresse à Vence"}, follow=True)
    assert "est refusée" in answer.content.decode()
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == (MembershipStatus.REJECTED, "Adresse à Vence")


def test_a_referent_may_not_exclude_another_moderator(people: People) -> None:
    # The service's rule (may_decide): a moderator's membership is the mayor's to decide.
    second = MembershipFactory.create(commune=people.saint_paul.commune, role=Role.REFERENT, user=UserFactory.create())
    answer = people.client("referent").post(members_url(OWN, "reject", second.pk), {"reason": "Parti"})
    assert answer.status_code == 403
    assert Membership.objects.get(pk=second.pk).status == MembershipStatus.APPROVED


def test_accepting_twice_says_so_and_changes_nothing(people: People) -> None:
    member = membership_of(people.saint_paul, "resident")
    answer = people.client("mayor").post(members_url(OWN, "approve", member.pk))
    assert answer.status_code == 400 and "Cette adhésion est déjà acceptée." in answer.content.decode()
    assert not AuditEntry.objects.exists()


# --- Roles: the mayor's, the last mayor kept ---------------------------------------------------------------------


def test_the_mayor_changes_a_role_and_the_journal_shows_it(people: People) -> None:
    member = membership_of(people.saint_paul, "resident")
    mayor = people.client("mayor")
    answer = mayor.post(members_url(OWN, "role", member.pk), {"role": "referent"}, follow=True)
    assert "est désormais : voisin référent" in answer.content.decode()
    assert Membership.objects.get(pk=member.pk).role == Role.REFERENT
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["role"], entry.after["role"], entry.actor_id) == ("resident", "referent", people.saint_paul.mayor.pk)
    journal = page_text(mayor, f"/desk/communes/{OWN}/audit/").split('data-testid="audit"')[1]
    row = journal.split("Rôle changé")[0].rsplit("<tr>", 1)[1] + journal.split("Rôle changé")[1].split("</tr>")[0]
    assert f"Adhésion de {people.saint_paul.resident.display_name}" in row and "habitant → voisin référent" in row
    assert str(people.saint_paul.mayor.display_name) in row


def test_a_referent_sees_roles_but_may_not_change_them(people: People) -> None:
    member = membership_of(people.saint_paul, "resident")
    referent = people.client("referent")
    page = page_text(referent, members_url(OWN))
    assert f'action="{members_url(OWN, "role", member.pk)}' not in page and "voisin référent" in page
    assert referent.post(members_url(OWN, "role", member.pk), {"role": "mayor"}).status_code == 403
    assert Membership.objects.get(pk=member.pk).role == Role.RESIDENT
    assert not AuditEntry.objects.exists()


def test_the_last_mayor_cannot_be_demoted(people: People) -> None:
    mayor = membership_of(people.saint_paul, "mayor")
    answer = people.client("mayor").post(members_url(OWN, "role", mayor.pk), {"role": "resident"})
    assert answer.status_code == 400
    assert "La commune doit garder au moins un maire." in answer.content.decode()
    assert Membership.objects.get(pk=mayor.pk).role == Role.MAYOR
    assert not AuditEntry.objects.exists()


def test_with_a_second_mayor_the_first_may_step_down(people: People) -> None:
    MembershipFactory.create(commune=people.saint_paul.commune, role=Role.MAYOR, user=UserFactory.create())
    mayor = membership_of(people.saint_paul, "mayor")
    assert people.client("mayor").post(members_url(OWN, "role", mayor.pk), {"role": "referent"}).status_code == 302
    assert Membership.objects.get(pk=mayor.pk).role == Role.REFERENT


@pytest.mark.parametrize("role", ["gendarme", "", "MAYOR"])
def test_a_role_outside_the_choices_is_refused(people: People, role: str) -> None:
    member = membership_of(people.saint_paul, "resident")
    answer = people.client("mayor").post(members_url(OWN, "role", member.pk), {"role": role})
    assert answer.status_code == 400 and "n'est pas un choix valide." in html.unescape(answer.content.decode())
    assert Membership.objects.get(pk=member.pk).role == Role.RESIDENT


def test_a_refused_role_change_is_shown_next_to_its_member(people: People) -> None:
    mayor = membership_of(people.saint_paul, "mayor")
    page = people.client("mayor").post(members_url(OWN, "role", mayor.pk), {"role": "resident"}).content.decode()
    row = page.split(f'id="role-{mayor.pk}-role"')[0].rsplit("<tr", 1)[1]
    assert "desk-members__failed" in row


# --- Removing a member --------------------------------------------------------------------------------------------


def test_the_mayor_removes_a_member(people: People) -> None:
    member = membership_of(people.saint_paul, "resident2")
    answer = people.client("mayor").post(members_url(OWN, "remove", member.pk), follow=True)
    assert "ne fait plus partie de la commune" in answer.content.decode()
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditEntry.objects.get(action="membership.removed").before == {
        "role": "resident", "status": "approved", "user": people.saint_paul.resident2.pk,
    }  # fmt: skip


def test_a_referent_may_leave_but_not_remove_others(people: People) -> None:
    referent = people.client("referent")
    other = membership_of(people.saint_paul, "resident2")
    assert referent.post(members_url(OWN, "remove", other.pk)).status_code == 403
    assert Membership.objects.filter(pk=other.pk).exists()
    own = membership_of(people.saint_paul, "referent")
    answer = referent.post(members_url(OWN, "remove", own.pk))
    assert (answer.status_code, answer["Location"]) == (302, "/desk/")
    assert not Membership.objects.filter(pk=own.pk).exists()
    assert AuditEntry.objects.get().action == "membership.left"


def test_the_last_mayor_cannot_leave(people: People) -> None:
    mayor = membership_of(people.saint_paul, "mayor")
    answer = people.client("mayor").post(members_url(OWN, "remove", mayor.pk))
    assert answer.status_code == 400 and "La commune doit garder au moins un maire." in answer.content.decode()
    assert Membership.objects.filter(pk=mayor.pk).exists()


# --- The list: search, filters, pages ----------------------------------------------------------------------------


def test_the_members_are_searched_by_name_and_filtered_by_role_and_quartier(people: People) -> None:
    town = people.saint_paul
    remparts = Neighbourhood.objects.create(commune=town.commune, name="Les Remparts")
    MembershipFactory.create(commune=town.commune, neighbourhood=remparts, user=UserFactory.create(display_name="Zoé Rempart"))
    client = people.client("referent")

    def listed(query: dict[str, Any]) -> str:
        answer = client.get(members_url(OWN), query)
        assert answer.status_code == 200
        return answer.content.decode().split('data-testid="members"')[1].split("</table>")[0]

    assert "Zoé Rempart" in listed({"q": "zoé"}) and str(town.mayor.display_name) not in listed({"q": "zoé"})
    by_role = listed({"role": "mayor"})
    assert str(town.mayor.display_name) in by_role and "Zoé Rempart" not in by_role
    by_quartier = listed({"neighbourhood": remparts.pk})
    assert "Zoé Rempart" in by_quartier and str(town.resident.display_name) not in by_quartier


def test_a_quartier_of_another_commune_is_no_filter(people: People) -> None:
    elsewhere = Neighbourhood.objects.create(commune=people.charleville.commune, name="Ailleurs")
    answer = people.client("mayor").get(members_url(OWN), {"neighbourhood": elsewhere.pk})
    assert answer.status_code == 400 and "Ailleurs" not in answer.content.decode()


def test_the_members_come_in_pages_that_keep_the_search(people: People) -> None:
    for number in range(30):
        MembershipFactory.create(commune=people.saint_paul.commune, user=UserFactory.create(display_name=f"Voisin {number:02d}"))
    client = people.client("mayor")
    first = page_text(client, members_url(OWN) + "?q=voisin")
    assert "Page 1 sur 2" in first and f"{members_url(OWN)}?q=voisin&amp;page=2" in first
    second = page_text(client, members_url(OWN) + "?q=voisin&page=2")
    assert "Voisin 29" in second and "Voisin 00" not in second


def test_an_action_brings_the_list_back_as_it_was(people: People) -> None:
    member = membership_of(people.saint_paul, "resident")
    answer = people.client("mayor").post(members_url(OWN, "role", member.pk) + "?q=a&page=1", {"role": "referent"})
    assert answer["Location"] == members_url(OWN) + "?q=a&page=1"


# --- Phone numbers and forged requests --------------------------------------------------------------------------


def test_no_page_shows_a_phone_number(people: People) -> None:
    town = people.saint_paul
    mayor = people.client("mayor")
    mayor.post(members_url(OWN, "role", membership_of(town, "resident").pk), {"role": "referent"})
    refused = MembershipFactory.create(commune=town.commune, status="pending", user=UserFactory.create())
    mayor.post(members_url(OWN, "reject", refused.pk), {"reason": "Hors commune"})
    phones = every_phone(town, people.charleville) + phone_forms(refused.user)
    for page in ["members", "neighbourhoods", "policy", "audit", "exports"]:
        html = page_text(mayor, f"/desk/communes/{OWN}/{page}/")
        assert not [phone for phone in phones if phone in html], page
    # The pages did name them: the applicant still waiting, the members, the journal's people.
    members = page_text(mayor, members_url(OWN))
    assert str(town.applicant) in members and str(town.resident2) in members
    assert str(refused.user) in page_text(mayor, f"/desk/communes/{OWN}/audit/")


def test_the_pages_load_their_stylesheet_and_carry_no_inline_style_or_script(people: People) -> None:
    mayor = people.client("mayor")
    for page in ["members", "neighbourhoods", "policy", "audit", "exports"]:
        html = page_text(mayor, f"/desk/communes/{OWN}/{page}/")
        assert not INLINE_CODE.search(html), (page, INLINE_CODE.search(html))
        assert re.search(r'<link rel="stylesheet" href="/static/desk/members\.css[^"]*">', html), page


POSTS = [
    ("members/{pending}/approve/", {}),
    ("members/{pending}/reject/", {"reason": "Non"}),
    ("members/{member}/role/", {"role": "referent"}),
    ("members/{member}/remove/", {}),
    ("neighbourhoods/", {"name": "Les Bréguières"}),
    ("policy/", {"escalation_minutes": "15"}),
    ("exports/statistics/", {"format": "csv"}),
    ("exports/audit/", {}),
]


@pytest.mark.parametrize(("path", "data"), POSTS, ids=[path for path, _ in POSTS])
def test_every_post_needs_its_csrf_token(people: People, path: str, data: dict[str, str]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.saint_paul.mayor)
    pending, member = membership_of(people.saint_paul, "applicant"), membership_of(people.saint_paul, "resident")
    url = f"/desk/communes/{OWN}/" + path.format(pending=pending.pk, member=member.pk)
    assert client.post(url, data).status_code == 403
    assert not AuditEntry.objects.exists()
    assert Membership.objects.get(pk=member.pk).role == Role.RESIDENT
    assert Membership.objects.get(pk=pending.pk).status == MembershipStatus.PENDING
    assert not Neighbourhood.objects.exists()


# --- Quartiers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("insee", [OWN, OTHER])
@pytest.mark.parametrize("persona", PERSONAS)
def test_creating_a_quartier_answers_each_persona(people: People, persona: str, insee: str) -> None:
    expected = MAYORS_POST if insee == OWN else OTHER_COMMUNE_POST
    path = f"/desk/communes/{insee}/neighbourhoods/"
    expect_statuses(people, "post", path, {persona: expected[persona]}, {"name": "Les Bréguières"})
    created = Neighbourhood.objects.filter(commune=town_of(people, insee).commune, name="Les Bréguières").exists()
    assert created is (expected[persona] == 302 and persona != "anon")


def test_the_mayor_creates_a_quartier_shown_with_its_members(people: People) -> None:
    mayor = people.client("mayor")
    data = {"name": "Les Bréguières", "latitude": "43,7", "longitude": "7,12", "radius_m": "400"}
    answer = mayor.post(f"/desk/communes/{OWN}/neighbourhoods/", data, follow=True)
    assert "Le quartier « Les Bréguières » est créé." in answer.content.decode()
    created = Neighbourhood.objects.get(commune=people.saint_paul.commune)
    assert (created.name, created.latitude, created.longitude, created.radius_m) == ("Les Bréguières", 43.7, 7.12, 400)
    assert AuditEntry.objects.get(action="neighbourhood.created").after == {"name": "Les Bréguières"}
    assert "Les Bréguières" in page_text(people.client("referent"), f"/desk/communes/{OWN}/neighbourhoods/")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "les remparts"}, "Un quartier porte déjà ce nom."),
        ({"name": ""}, "Ce champ ne peut être vide."),
        ({"name": "Le Puy", "latitude": "43.7"}, "Latitude et longitude vont ensemble."),
        ({"name": "Le Puy", "latitude": "143", "longitude": "7"}, "inférieure ou égale à 90"),
    ],
)
def test_a_wrong_quartier_is_refused_in_french_and_nothing_is_created(people: People, data: dict[str, str], message: str) -> None:
    Neighbourhood.objects.create(commune=people.saint_paul.commune, name="Les Remparts")
    answer = people.client("mayor").post(f"/desk/communes/{OWN}/neighbourhoods/", data)
    assert answer.status_code == 400
    assert message in answer.content.decode().replace("\xa0", " ")
    assert Neighbourhood.objects.count() == 1 and not AuditEntry.objects.exists()


def test_a_referent_reads_the_quartiers_without_the_form(people: People) -> None:
    page = page_text(people.client("referent"), f"/desk/communes/{OWN}/neighbourhoods/")
    assert "Créer le quartier" not in page and "Seul le maire crée les quartiers." in page


# --- A resident reached on their landline, registered by the mayor ----------------------------------------------


def test_the_landline_resident_page_is_the_mayors(people: People) -> None:
    expect_statuses(people, "get", f"/desk/communes/{OWN}/members/landline/", MAYORS_PAGE)
    expect_statuses(people, "get", f"/desk/communes/{OTHER}/members/landline/", OTHER_COMMUNE_PAGE)
    assert 'href="/desk/communes/06128/members/landline/"' in people.client("mayor").get(members_url(OWN)).content.decode()
    assert "/members/landline/" not in people.client("referent").get(members_url(OWN)).content.decode()


def test_the_mayor_registers_a_landline_resident_with_their_consent(people: People) -> None:
    url, client = f"/desk/communes/{OWN}/members/landline/", people.client("mayor")
    body = {"display_name": "Mme Paulette Giraud", "landline": "04 93 32 00 01", "address": "3 rue Grande",
            "consent_note": "Accord écrit signé en mairie."}  # fmt: skip

    refused = client.post(url, body)  # the box unticked
    assert refused.status_code == 400
    assert "Le consentement de la personne est requis" in html.unescape(refused.content.decode())
    mobile = client.post(url, {**body, "consent": "on", "landline": "06 12 34 56 78"})
    assert mobile.status_code == 400 and "Ce numéro est un mobile" in html.unescape(mobile.content.decode())
    assert not Membership.objects.filter(address="3 rue Grande").exists()

    done = client.post(url, {**body, "consent": "on"})

    assert done.status_code == 302 and done["Location"] == members_url(OWN)
    membership = Membership.objects.get(address="3 rue Grande")
    assert membership.status == MembershipStatus.APPROVED and str(membership.user.phone) == "+33493320001"
    assert membership.user.landline.consent_note == "Accord écrit signé en mairie."
    assert AuditEntry.objects.filter(action="landline.resident_registered", actor_id=people.saint_paul.mayor.pk).exists()
    again = client.post(url, {**body, "consent": "on"})
    assert again.status_code == 400
