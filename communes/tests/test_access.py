"""Who reads a commune's statistics: the one-commune check every statistics request makes agrees with the
list of communes the dashboards offer (access.stats_communes), for every kind of person."""

from typing import Any

import pytest

from accounts.models import AuthToken, hash_secret
from accounts.token_lookup import token_with_user_and
from communes import access
from communes.models import GendarmeArea
from conftest import Town
from tests.factories import UserFactory


@pytest.fixture
def gendarme_of_communes(saint_paul: Town) -> Any:
    user = UserFactory.create()
    GendarmeArea.objects.create(user=user).communes.add(saint_paul.commune)
    return user


def test_reading_statistics_of_one_commune_agrees_with_the_list(
    saint_paul: Town, charleville: Town, gendarme_06: Any, gendarme_08: Any, gendarme_of_communes: Any
) -> None:
    people = [saint_paul.mayor, saint_paul.referent, saint_paul.resident, saint_paul.applicant, charleville.mayor,
              gendarme_06, gendarme_08, gendarme_of_communes]  # fmt: skip
    for person in people:
        listed = set(access.stats_communes(person).values_list("pk", flat=True))
        for town in (saint_paul, charleville):
            assert access.reads_statistics(person, town.commune) == (town.commune.pk in listed), (person, town)
    assert access.reads_statistics(gendarme_of_communes, saint_paul.commune)
    assert not access.reads_statistics(gendarme_of_communes, charleville.commune)
    assert access.reads_statistics(saint_paul.referent, saint_paul.commune)
    assert not access.reads_statistics(saint_paul.resident, saint_paul.commune)


def test_the_moderators_rule_read_with_the_token_is_the_rule(
    saint_paul: Town, charleville: Town, gendarme_06: Any
) -> None:
    """The first rule of the statistics (a moderator of the commune), read in the token's statement."""
    people = [saint_paul.mayor, saint_paul.referent, saint_paul.resident, saint_paul.applicant, charleville.mayor,
              gendarme_06]  # fmt: skip
    for person in people:
        _, key = AuthToken.objects.issue(person, "rule")
        for town in (saint_paul, charleville):
            found = token_with_user_and(hash_secret(key), access.moderated_by_insee(town.commune.insee))[1]
            assert (found == town.commune.pk) == access.is_moderator(person, town.commune), (person, town)
            assert found in (None, town.commune.pk)
