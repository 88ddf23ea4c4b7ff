"""A fresh PostgreSQL database beside the test database, and manage.py in a process of its own."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from psycopg import sql
from psycopg.conninfo import make_conninfo

from continuity.postgres import libpq_params

ROOT = Path(__file__).resolve().parents[2]


def database_url(name: str) -> str:
    """A URL for `name` on the test database's server, with its credentials."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{name}"


def drop_database(name: str) -> None:
    # FORCE: a worker of the drill may still hold a connection when the test ends.
    with psycopg.connect(make_conninfo(**libpq_params(connection.settings_dict, dbname="postgres")), autocommit=True) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    """The URL of a database that does not exist yet (restore creates it); dropped afterwards."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (make test sets DATABASE_URL)")
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    yield database_url(name)
    drop_database(name)


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it, in a process of its own, on `database_url` (tasks in-process)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env |= {"DATABASE_URL": database_url, "DEBUG": "true", "SECRET_KEY": "test-only", "LOG_LEVEL": "WARNING"}
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
