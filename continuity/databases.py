"""Which database a backup reads or a restore writes, described as a Django DATABASES entry.

Passwords stay in these dictionaries: they are handed to libpq through the environment of pg_dump and
pg_restore (never their command line, which `ps` shows) and `describe()` is the only way they are printed.
"""

import copy
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import environ
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

DatabaseSettings = dict[str, Any]

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
_ALIAS = "continuity"


class ContinuityError(Exception):
    """A backup or a restore that cannot go on: the message says why, for the operator."""


def first_line(error: BaseException | None) -> str:
    """An error as one line for the operator (driver messages run on with hints)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def configured() -> DatabaseSettings:
    """The service's own database (DATABASE_URL), with every default Django filled in."""
    return copy.deepcopy(connections["default"].settings_dict)


def from_url(url: str) -> DatabaseSettings:
    """Another database, given as a URL like DATABASE_URL, with the service's other settings."""
    try:
        with warnings.catch_warnings():  # environ warns of an unknown scheme; the error below says more
            warnings.simplefilter("ignore")
            parsed = environ.Env.db_url_config(url)
    except (KeyError, ValueError):
        parsed = {}
    if not parsed.get("ENGINE") or not parsed.get("NAME"):
        raise ContinuityError("URL de base de données invalide (postgres://utilisateur@hôte:5432/base ou sqlite:////chemin)")
    db = {**configured(), "OPTIONS": {}, **parsed}
    vendor(db)  # refuses another engine now rather than halfway
    return db


def vendor(db: DatabaseSettings) -> str:
    engine = db["ENGINE"]
    if engine.endswith("postgresql"):
        return POSTGRESQL
    if engine.endswith("sqlite3"):
        return SQLITE
    raise ContinuityError(f"moteur de base de données non pris en charge : {engine}")


def describe(db: DatabaseSettings) -> str:
    """A printable name of the database: everything but the password."""
    if vendor(db) == SQLITE:
        return f"sqlite:{db['NAME']}"
    user = f"{db['USER']}@" if db.get("USER") else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


@contextmanager
def connected(db: DatabaseSettings) -> Iterator[BaseDatabaseWrapper]:
    """A Django connection of its own to `db`, closed afterwards: never the service's connection, whose
    transaction a backup must not share. Registered for this thread only, so that the ORM (the migration
    recorder) can use it, and never among the configured databases."""
    wrapper = load_backend(db["ENGINE"]).DatabaseWrapper(db, _ALIAS)
    connections[_ALIAS] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[_ALIAS]


def table_counts(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Exact row counts of every table the connection sees, read in its current transaction."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a known table
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    """The migrations recorded as applied in this database, by app."""
    by_app: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        by_app.setdefault(app, []).append(name)
    return by_app


def unapplied_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """What `migrate` would apply to this database with this code: empty when it is a no-op."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
