"""Lookups composed once (vigilants/prepared.py) answer what their querysets answer, in one query."""

from typing import Any

import pytest
from django.db import ProgrammingError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from communes.access import reads_statistics
from communes.models import Commune, CommuneType, Membership, MembershipStatus, Role
from conftest import Town
from tests.factories import CommuneFactory, MembershipFactory, UserFactory
from vigilants.prepared import PreparedExists, PreparedFirst, fetch_one

pytestmark = pytest.mark.django_db


def fields(instance: Any) -> dict[str, tuple[Any, type]]:
    return {f.attname: (getattr(instance, f.attname), type(getattr(instance, f.attname)))
            for f in instance._meta.concrete_fields}  # fmt: skip


def test_a_code_names_the_commune_before_its_delegated_namesake() -> None:
    delegated = CommuneFactory.create(insee="49092", type=CommuneType.DELEGATED, name="Chemillé (déléguée)")
    commune = CommuneFactory.create(insee="49092", type=CommuneType.COMMUNE, name="Chemillé-en-Anjou", population=None)
    assert delegated.pk < commune.pk  # the order of the rows would give the delegated one first

    with CaptureQueriesContext(connection) as queries:
        found = Commune.objects.by_insee("49092")
    assert len(queries) == 1
    assert found is not None and fields(found) == fields(Commune.objects.get(pk=commune.pk))
    assert found.population is None and not found._state.adding
    assert Commune.objects.by_insee("00000") is None


def test_a_filtered_queryset_still_filters() -> None:
    CommuneFactory.create(insee="49093", departement="49")
    assert Commune.objects.filter(departement="49").by_insee("49093") is not None
    assert Commune.objects.filter(departement="06").by_insee("49093") is None


def test_the_statistics_rule_for_moderators_and_others(saint_paul: Town, charleville: Town) -> None:
    commune = saint_paul.commune
    assert reads_statistics(saint_paul.mayor, commune) and reads_statistics(saint_paul.referent, commune)
    assert not reads_statistics(saint_paul.resident, commune)
    assert not reads_statistics(charleville.mayor, commune)
    pending = MembershipFactory.create(commune=commune, role=Role.MAYOR, status=MembershipStatus.PENDING,
                                       user=UserFactory.create())  # fmt: skip
    assert not reads_statistics(pending.user, commune)


def test_a_queryset_that_selects_other_columns_is_refused(saint_paul: Town) -> None:
    joined = PreparedFirst(Membership, lambda pk: Membership.objects.select_related("user").filter(pk=pk), int)
    with pytest.raises(ValueError, match="own columns"):
        joined(1)


def test_an_argument_must_be_one_parameter() -> None:
    twice = PreparedExists(Commune, lambda code: Commune.objects.filter(Q(insee=code) | Q(parent_insee=code)), str)
    with pytest.raises(ValueError, match="one parameter"):
        twice("06128")


def _prepared_here(fragment: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{fragment}%"])
        return int(cursor.fetchone()[0])


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (DATABASE_URL)")


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_prepared_once_per_connection(postgresql: None) -> None:
    CommuneFactory.create(insee="49094", name="Préparée")
    assert _prepared_here("49094") == 0
    for _ in range(3):
        found = fetch_one(connection, "SELECT name FROM communes_commune WHERE insee = %s AND name <> %s",
                          ["49094", "x"])  # fmt: skip
        assert found == ("Préparée",)
    assert _prepared_here("WHERE insee = $1 AND name <> $2") == 1


@pytest.mark.postgres
def test_a_prepared_statement_s_error_is_djangos(postgresql: None) -> None:
    with pytest.raises(ProgrammingError):  # as a queryset's: the middleware and callers know Django's errors
        fetch_one(connection, "SELECT no_such_column FROM communes_commune WHERE insee = %s", ["49094"])


@pytest.mark.postgres
def test_a_table_changed_under_a_prepared_statement_is_still_read(postgresql: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE changing (id int, name text)")
        cursor.execute("INSERT INTO changing VALUES (1, 'un')")
    assert fetch_one(connection, "SELECT * FROM changing WHERE id = %s", [1]) == (1, "un")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE changing ADD COLUMN added int DEFAULT 7")  # what a migration may do
    assert fetch_one(connection, "SELECT * FROM changing WHERE id = %s", [1]) == (1, "un", 7)
