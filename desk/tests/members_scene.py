"""What the members, quartiers, rules, journal and exports tests share: expected answers and a few helpers."""

import re

from django.test import Client

from accounts.models import User
from conftest import Town
from desk.tests.conftest import MODERATORS_PAGE, People

OWN, OTHER = "06128", "08105"

# A page of Charleville-Mézières' desk: its mayor and staff; Saint-Paul's moderators 404 (not their commune),
# its resident 403 (no dashboard at all), the gendarme of the Ardennes 403 (reads, does not moderate).
OTHER_COMMUNE_PAGE: dict[str, int] = {
    "anon": 302, "resident": 403, "referent": 404, "mayor": 404, "other_mayor": 200, "gendarme_06": 404,
    "gendarme_08": 403, "staff": 200,
}  # fmt: skip

# A POST that succeeds redirects (302) like the anonymous visitor sent to sign in: each test of a POST also
# checks what changed, and that it changed only for those allowed.
MODERATORS_POST = {**MODERATORS_PAGE, "referent": 302, "mayor": 302, "staff": 302}
MAYORS_POST = {**MODERATORS_POST, "referent": 403}
OTHER_COMMUNE_POST = {**OTHER_COMMUNE_PAGE, "other_mayor": 302, "staff": 302}


def town_of(people: People, insee: str) -> Town:
    return people.saint_paul if insee == OWN else people.charleville


def phone_forms(user: User) -> list[str]:
    """A number as a page could print it: E.164, national with or without spaces."""
    e164 = str(user.phone)
    national = "0" + e164.removeprefix("+33")
    return [e164, national, " ".join(re.findall("..", national))]


def every_phone(*towns: Town) -> list[str]:
    people = [p for town in towns for p in (town.mayor, town.referent, town.resident, town.resident2, town.applicant)]
    return [form for person in people for form in phone_forms(person)]


def page_text(client: Client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.content.decode()
