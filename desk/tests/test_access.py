"""Who opens the desk: the API's rules, seen through the pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from desk.access import desk_commune
from desk.nav import desk_links
from desk.tests.conftest import People, expect_statuses

pytestmark = pytest.mark.django_db


def test_the_index_answers_each_persona(people: People) -> None:
    # Who moderates a single commune is sent straight to its desk; staff choose among the communes.
    expect_statuses(people, "get", "/desk/", {
        "anon": 302, "resident": 403, "referent": 302, "mayor": 302, "other_mayor": 302, "gendarme_06": 200,
        "gendarme_08": 200, "staff": 200,
    })  # fmt: skip


def test_the_index_lists_only_the_communes_one_moderates(people: People) -> None:
    # A single commune: the index sends its mayor straight to its desk, never to another commune's.
    assert people.client("mayor").get("/desk/")["Location"] == "/desk/communes/06128/"
    assert people.client("other_mayor").get("/desk/")["Location"] == "/desk/communes/08105/"
    page = people.client("staff").get("/desk/").content.decode()
    assert "Saint-Paul-de-Vence" in page and "Charleville" in page


@pytest.mark.parametrize(
    ("persona", "outcome"),
    [
        ("referent", "ok"),
        ("mayor", "ok"),
        ("staff", "ok"),
        ("resident", "404"),
        ("other_mayor", "404"),
        ("gendarme_06", "403"),
        ("gendarme_08", "404"),
    ],
)
def test_a_communes_desk_is_for_its_moderators(people: People, persona: str, outcome: str) -> None:
    user = people.get(persona)
    assert user is not None
    if outcome == "ok":
        assert desk_commune(user, "06128").insee == "06128"
    else:
        with pytest.raises(PermissionDenied if outcome == "403" else Http404):
            desk_commune(user, "06128")


def test_mayor_only_pages_refuse_a_referent(people: People) -> None:
    assert desk_commune(people.saint_paul.mayor, "06128", mayor_only=True).insee == "06128"
    with pytest.raises(PermissionDenied):
        desk_commune(people.saint_paul.referent, "06128", mayor_only=True)


def test_a_commune_not_enrolled_has_no_desk(people: People) -> None:
    people.saint_paul.commune.enrolled = False
    people.saint_paul.commune.save(update_fields=["enrolled"])
    with pytest.raises(Http404):
        desk_commune(people.staff, "06128")


def test_the_menu_leaves_out_mayor_only_sections_for_a_referent() -> None:
    # Only routed sections appear; whatever is routed, the policy is never offered to a referent.
    assert all("policy" not in link.url for link in desk_links("06128", "", mayor=False))


def test_a_gendarme_is_offered_the_alerts_of_their_area(people: People) -> None:
    page = people.client("gendarme_06").get("/desk/").content.decode()
    assert 'href="/desk/alerts/"' in page and "Vous ne modérez aucune commune" not in page
    assert 'href="/desk/alerts/"' not in people.client("other_mayor").get("/desk/", follow=True).content.decode()
