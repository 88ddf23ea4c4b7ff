"""The PostgreSQL backend's health check (vigilants/postgresql/base.py): no round trip while the connection is
quiet, and a connection PostgreSQL ended is found unusable and replaced before the next request's first query."""

import time
from typing import Any

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.db.backends.postgresql import base as django_base

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("these tests need PostgreSQL (DATABASE_URL)")


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each `SELECT 1` Django's own check would send."""
    calls: list[int] = []
    real = django_base.DatabaseWrapper.is_usable

    def select_one(self: django_base.DatabaseWrapper) -> bool:
        calls.append(1)
        return bool(real(self))

    monkeypatch.setattr(django_base.DatabaseWrapper, "is_usable", select_one)
    return calls


def request_starts() -> None:
    close_old_connections()  # what Django does as each request starts (request_started)


def first_query() -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_quiet_connection_is_kept_without_a_round_trip(asked: list[int]) -> None:
    connection.close()  # a connection of its own: one the suite opened earlier may be past CONN_MAX_AGE
    pid = first_query()
    for _ in range(3):
        request_starts()
        assert first_query() == pid
    assert asked == []


def test_a_connection_postgresql_ended_is_replaced_before_the_next_query(asked: list[int]) -> None:
    pid = first_query()
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")},
                         autocommit=True) as admin:  # fmt: skip
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    time.sleep(0.2)  # the server's message and its closing reach the socket
    request_starts()
    assert first_query() != pid  # no error for this request: a new connection
    assert asked == [1]  # the readable socket sent Django's own check, which failed


def test_a_connection_in_a_transaction_is_checked_by_django(asked: list[int]) -> None:
    first_query()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        assert connection.is_usable()
        cursor.execute("ROLLBACK")
    assert asked == [1]


def test_without_prepared_statements_the_lookups_still_answer() -> None:
    from vigilants.prepared import fetch_one

    connection.close()
    connection.settings_dict["PREPARED_STATEMENTS"] = False
    try:
        assert fetch_one(connection, "SELECT %s::int + 1", [41]) == (42,)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone() == (0,)
    finally:
        connection.close()
        connection.settings_dict["PREPARED_STATEMENTS"] = True
