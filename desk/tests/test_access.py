"""Who opens the desk: the API's rules, seen through the pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from desk.access import desk_commune
from desk.nav import desk_links
from desk.tests.conftest import People, expect_statuses

pytestmark = pytest.mark.django_db


def test_the_index_answers_each_persona(people: People) -> None:
    # Who moderates a single commune is sent straight to its desk's first section, once one is routed.
    single = 302 if desk_links("06128", "", mayor=True) else 200
    expect_statuses(people, "get", "/desk/", {
        "anon": 302, "resident": 403, "referent": single, "mayor": single, "other_mayor": single, "gendarme_06": 200,
        "gendarme_08": 200, "staff": 200,
    })  # fmt: skip


def test_the_index_sends_who_moderates_one_commune_to_its_first_section(people: People) -> None:
    first = desk_links("06128", "", mayor=False)[:1]
    answer = people.client("referent").get("/desk/")
    assert (answer.status_code, answer.get("Location")) == ((302, first[0].url) if first else (200, None))


def test_the_index_lists_only_the_communes_one_moderates(people: People) -> None:
    page = people.client("mayor").get("/desk/").content.decode()
    # A single commune: the index would send its mayor straight there once its desk has a page.
    assert "Charleville" not in page


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
