"""Territories (EPCI, département) and their operators: who belongs where, who operates what."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from communes import access
from communes.models import CommuneType, TerritoryKind, TerritoryOperator
from communes.territories import find_territory, territories_of
from conftest import NICE_METROPOLE, Town
from tests.factories import CommuneFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_territory_is_the_communes_that_carry_its_code(saint_paul: Town, charleville: Town) -> None:
    CommuneFactory.create(insee="06088", name="Nice", departement="06", epci_siren=NICE_METROPOLE,
                          epci_name="Métropole Nice Côte d'Azur")  # fmt: skip
    CommuneFactory.create(insee="06088", name="Nice (délégué)", departement="06", epci_siren=NICE_METROPOLE,
                          type=CommuneType.DELEGATED)  # fmt: skip
    epci = find_territory(TerritoryKind.EPCI, NICE_METROPOLE)
    assert epci is not None and epci.name == "Métropole Nice Côte d'Azur"
    assert [c.name for c in epci.communes()] == ["Nice"]  # communes of type COM only
    departement = find_territory(TerritoryKind.DEPARTEMENT, "06")
    assert departement is not None
    assert departement.contains(saint_paul.commune) and not departement.contains(charleville.commune)
    assert find_territory(TerritoryKind.EPCI, "999999999") is None
    assert find_territory("region", "93") is None


def test_operators_reach_their_territory_and_nowhere_else(operator_nca: User, operator_06: User, saint_paul: Town,
                                                          charleville: Town) -> None:  # fmt: skip
    assert access.operates(operator_nca, saint_paul.commune)
    assert access.operates(operator_06, saint_paul.commune)
    assert not access.operates(operator_nca, charleville.commune)
    assert not access.operates(operator_06, charleville.commune)
    assert not access.operates(saint_paul.mayor, saint_paul.commune)
    assert list(access.operated_communes(operator_06)) == [saint_paul.commune]
    assert [t.slug for t in access.operator_territories(operator_nca)] == [f"epci-{NICE_METROPOLE}"]
    assert [t.kind for t in territories_of(saint_paul.commune)] == ["epci", "departement"]


def test_operators_read_the_statistics_of_their_communes_only(operator_06: User, saint_paul: Town,
                                                              charleville: Town) -> None:  # fmt: skip
    assert access.reads_statistics(operator_06, saint_paul.commune)
    assert not access.reads_statistics(operator_06, charleville.commune)
    assert list(access.stats_communes(operator_06)) == [saint_paul.commune]


def test_create_operator_command(saint_paul: Town) -> None:
    call_command("create_operator", "0611223344", "--departement", "06", "--name", "Service du département")
    operator = TerritoryOperator.objects.get()
    assert (operator.kind, operator.code, operator.user.display_name) == ("departement", "06", "Service du département")
    call_command("create_operator", "0611223344", "--departement", "06")  # again: nothing more
    assert TerritoryOperator.objects.count() == 1
    with pytest.raises(CommandError, match="Territoire inconnu"):
        call_command("create_operator", "0611223345", "--epci", "123456789")
    assert UserFactory._meta.model.objects.filter(phone="+33611223345").count() == 0
