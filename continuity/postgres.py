"""PostgreSQL: pg_dump inside the snapshot the manifest is counted in, pg_restore into a fresh database.

pg_dump alone is already one consistent snapshot; exporting ours to it (`--snapshot`) makes the
manifest's row counts those of the very same snapshot, so a restore can be checked row for row.
"""

import os
import subprocess
from pathlib import Path

import psycopg
from django.db import transaction
from psycopg import sql
from psycopg.conninfo import make_conninfo

from .databases import ContinuityError, DatabaseSettings, applied_migrations, connected, first_line, table_counts

_SETTINGS_TO_LIBPQ = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password", "NAME": "dbname"}
# libpq's parameters and their environment variables; of Django's OPTIONS, only these are for libpq.
_LIBPQ_ENV = {
    "host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT", "passfile": "PGPASSFILE", "service": "PGSERVICE",
    "target_session_attrs": "PGTARGETSESSIONATTRS", "application_name": "PGAPPNAME",
}  # fmt: skip
_MAINTENANCE_DATABASES = ("postgres", "template1")
_STDERR_LINES = 5  # of a failed pg_dump or pg_restore, in the error shown


def libpq_params(db: DatabaseSettings, dbname: str | None = None) -> dict[str, str]:
    params = {key: str(db[name]) for name, key in _SETTINGS_TO_LIBPQ.items() if db.get(name)}
    options = db.get("OPTIONS") or {}
    params |= {key: str(value) for key, value in options.items() if key in _LIBPQ_ENV and key not in params}
    if dbname:
        params["dbname"] = dbname
    return params


def libpq_env(db: DatabaseSettings) -> dict[str, str]:
    """pg_dump's and pg_restore's environment: the password travels here, not on their command line."""
    return {**os.environ, **{_LIBPQ_ENV[key]: value for key, value in libpq_params(db).items()}}


def dump(db: DatabaseSettings, output: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Write a custom-format dump to `output`; return the row counts and migrations of its snapshot."""
    with connected(db) as connection, transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        counts, migrations = table_counts(connection), applied_migrations(connection)
        # Our transaction stays open until pg_dump is done: the snapshot lives as long as it does.
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={output}", "--no-password"], db)
    return counts, migrations


def ensure_database(db: DatabaseSettings) -> bool:
    """Create the target database if it does not exist; True if it was created."""
    with _maintenance_connection(db) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            return False
        # template0: nothing added to template1 on this server ends up mixed with the restored objects.
        connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(db["NAME"])))
    return True


def object_count(db: DatabaseSettings) -> int:
    """Tables, views and sequences outside PostgreSQL's own schemas: 0 for a fresh database."""
    query = """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    """
    with psycopg.connect(make_conninfo(**libpq_params(db)), autocommit=True) as connection:
        row = connection.execute(query).fetchone()
    return int(row[0]) if row else 0


def load(dump_path: Path, db: DatabaseSettings, clean: bool) -> None:
    """pg_restore in one transaction (on any error the target is left as it was), then ANALYZE."""
    args = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
            "--no-password", f"--dbname={make_conninfo(dbname=db['NAME'])}"]  # fmt: skip
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, str(dump_path)], db)
    analyze(db)


def analyze(db: DatabaseSettings) -> None:
    """pg_restore leaves no planner statistics; without them the first fan-outs would pick bad plans."""
    with psycopg.connect(make_conninfo(**libpq_params(db)), autocommit=True) as connection:
        connection.execute("ANALYZE")


def _maintenance_connection(db: DatabaseSettings) -> psycopg.Connection:
    error: psycopg.Error | None = None
    for name in _MAINTENANCE_DATABASES:
        try:
            return psycopg.connect(make_conninfo(**libpq_params(db, dbname=name)), autocommit=True)
        except psycopg.OperationalError as exc:
            error = exc
    raise ContinuityError(f"serveur PostgreSQL injoignable : {first_line(error)}")


def _run(args: list[str], db: DatabaseSettings) -> None:
    try:
        result = subprocess.run(args, env=libpq_env(db), capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise ContinuityError(
            f"{args[0]} introuvable : installez le client PostgreSQL (même version majeure que le serveur, ou plus récente)"
        ) from None
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-_STDERR_LINES:])
        raise ContinuityError(f"{args[0]} a échoué (code {result.returncode}) :\n{tail}")
