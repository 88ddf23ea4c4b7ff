"""The commune's rules: the mayor's page, validated as the API validates, written and recorded by the service."""

import pytest

from alerts.models import CommunePolicy
from audit.models import AuditEntry
from desk.tests.conftest import MAYORS_PAGE, PERSONAS, People, expect_statuses
from desk.tests.members_scene import MAYORS_POST, OTHER, OTHER_COMMUNE_PAGE, OTHER_COMMUNE_POST, OWN, page_text, town_of

pytestmark = pytest.mark.django_db


def policy_url(insee: str = OWN) -> str:
    return f"/desk/communes/{insee}/policy/"


def test_the_page_is_the_mayors(people: People) -> None:
    expect_statuses(people, "get", policy_url(OWN), MAYORS_PAGE)
    expect_statuses(people, "get", policy_url(OTHER), OTHER_COMMUNE_PAGE)


@pytest.mark.parametrize("insee", [OWN, OTHER])
@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_mayor_changes_the_rules(people: People, persona: str, insee: str) -> None:
    expected = MAYORS_POST if insee == OWN else OTHER_COMMUNE_POST
    expect_statuses(people, "post", policy_url(insee), {persona: expected[persona]}, {"escalation_minutes": "45"})
    changed = CommunePolicy.objects.filter(commune=town_of(people, insee).commune, escalation_minutes=45).exists()
    assert changed is (expected[persona] == 302 and persona != "anon")


def test_a_referent_is_refused_the_page_and_the_change(people: People) -> None:
    referent = people.client("referent")
    assert referent.get(policy_url()).status_code == 403
    assert referent.post(policy_url(), {"escalation_minutes": "5", "auto_approve_categories": ["vol"]}).status_code == 403
    assert not CommunePolicy.objects.exists() and not AuditEntry.objects.exists()


def test_the_page_shows_the_defaults_without_writing_anything(people: People) -> None:
    page = page_text(people.client("mayor"), policy_url())
    assert 'name="escalation_minutes" value="30"' in page
    assert not CommunePolicy.objects.exists()


def test_the_rules_are_saved_recorded_and_shown_again(people: People) -> None:
    mayor = people.client("mayor")
    data = {"auto_approve_categories": ["vol", "incendie"], "escalation_minutes": "15"}
    answer = mayor.post(policy_url(), data, follow=True)
    assert answer.redirect_chain[-1] == (policy_url(), 302)
    assert "Les règles de la commune sont enregistrées." in answer.content.decode()
    policy = CommunePolicy.objects.get(commune=people.saint_paul.commune)
    assert (policy.auto_approve_categories, policy.escalation_minutes) == (["vol", "incendie"], 15)
    entry = AuditEntry.objects.get(action="policy.changed")
    assert entry.actor_id == people.saint_paul.mayor.pk
    assert entry.before == {"auto_approve_categories": [], "escalation_minutes": 30}
    assert entry.after == {"auto_approve_categories": ["vol", "incendie"], "escalation_minutes": 15}
    page = answer.content.decode()
    assert 'value="vol" id="id_auto_approve_categories_5" checked' in page and 'value="15"' in page
    journal = page_text(mayor, f"/desk/communes/{OWN}/audit/")
    assert "relance après 30 → 15 min" in journal and "aucune → Vol, Incendie" in journal


def test_unticking_every_category_empties_the_list(people: People) -> None:
    CommunePolicy.objects.create(commune=people.saint_paul.commune, auto_approve_categories=["vol"])
    assert people.client("mayor").post(policy_url(), {"escalation_minutes": "30"}).status_code == 302
    assert CommunePolicy.objects.get().auto_approve_categories == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"escalation_minutes": "2"}, "supérieure ou égale à 5"),
        ({"escalation_minutes": "20000"}, "inférieure ou égale à 10080"),
        ({"escalation_minutes": ""}, "Un nombre entier valide est requis."),
        ({"escalation_minutes": "15", "auto_approve_categories": ["vol", "piratage"]}, "n'est pas un choix valide."),
    ],
)
def test_wrong_rules_are_refused_in_french_and_nothing_changes(people: People, data: dict, message: str) -> None:
    CommunePolicy.objects.create(commune=people.saint_paul.commune, auto_approve_categories=["vol"], escalation_minutes=60)
    answer = people.client("mayor").post(policy_url(), data)
    assert answer.status_code == 400
    assert message in answer.content.decode().replace("\xa0", " ").replace("&#x27;", "'")
    policy = CommunePolicy.objects.get()
    assert (policy.auto_approve_categories, policy.escalation_minutes) == (["vol"], 60)
    assert not AuditEntry.objects.exists()


def test_the_referents_menu_has_no_rules_and_the_mayors_has(people: People) -> None:
    assert policy_url() not in page_text(people.client("referent"), f"/desk/communes/{OWN}/members/")
    assert policy_url() in page_text(people.client("mayor"), f"/desk/communes/{OWN}/members/")
