"""backup and restore as an operator runs them: SQLite end to end, PostgreSQL in one snapshot, refusals."""

import json
import shutil
import stat
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from continuity import postgres
from continuity.databases import ContinuityError, describe, from_url, table_counts
from continuity.management.commands.backup import output_path
from continuity.manifest import count_differences, manifest_path
from tests.factories import MembershipFactory

from .conftest import manage

SECRET = "n0t-the-real-password-x9"
SHELL_SEED = "from tests.factories import MembershipFactory; MembershipFactory.create_batch(3)"


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with three members, made once for this module (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("sqlite") / "source.sqlite3"
    ok(manage("migrate", "--noinput", database_url=f"sqlite:///{path}"))
    ok(manage("shell", "-c", SHELL_SEED, database_url=f"sqlite:///{path}"))
    return path


@pytest.fixture
def sqlite_backup(sqlite_source: Path, tmp_path: Path) -> Path:
    ok(manage("backup", "--output", f"{tmp_path}/backups/", database_url=f"sqlite:///{sqlite_source}"))
    (dump,) = (tmp_path / "backups").glob("vigilants-*.sqlite3")
    return dump


def test_it_backs_up_sqlite_with_a_manifest_readable_by_its_owner_only(sqlite_backup: Path) -> None:
    manifest = json.loads(manifest_path(sqlite_backup).read_text())
    assert manifest["vendor"] == "sqlite" and manifest["dump"] == sqlite_backup.name
    assert manifest["tables"]["accounts_user"] == 3 and manifest["tables"]["communes_membership"] == 3
    assert "0001_initial" in manifest["migrations"]["notifications"]
    assert stat.S_IMODE(sqlite_backup.stat().st_mode) == 0o600
    assert not list(sqlite_backup.parent.glob(".*.tmp"))  # written to a temporary file, then renamed


def test_it_restores_sqlite_into_a_new_file_and_checks_it(sqlite_backup: Path, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path}/restored.sqlite3"
    out = ok(manage("restore", str(sqlite_backup), "--database-url", target, database_url=target))
    assert "utilisateurs : 3 lignes (manifeste : 3)" in out
    assert "Nombres de lignes identiques au manifeste" in out and "migrate n'a rien à appliquer" in out
    assert "No migrations to apply." in ok(manage("migrate", "--noinput", database_url=target))


def test_it_refuses_a_non_empty_target_unless_forced(sqlite_backup: Path, sqlite_source: Path, tmp_path: Path) -> None:
    target = tmp_path / "in-use.sqlite3"
    shutil.copy(sqlite_source, target)
    refused = manage("restore", str(sqlite_backup), database_url=f"sqlite:///{target}")
    assert refused.returncode == 1 and "n'est pas vide" in refused.stderr and "--force" in refused.stderr
    assert "identiques" in ok(manage("restore", str(sqlite_backup), "--force", database_url=f"sqlite:///{target}"))


def test_it_refuses_a_damaged_or_incomplete_backup(sqlite_backup: Path, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path}/restored.sqlite3"
    with sqlite_backup.open("ab") as dump:
        dump.write(b"\0")
    damaged = manage("restore", str(sqlite_backup), database_url=target)
    assert damaged.returncode == 1 and "ne correspond pas à son manifeste" in damaged.stderr
    manifest_path(sqlite_backup).unlink()
    incomplete = manage("restore", str(sqlite_backup), database_url=target)
    assert incomplete.returncode == 1 and "manifeste introuvable" in incomplete.stderr
    assert not (tmp_path / "restored.sqlite3").exists()


def test_it_refuses_to_restore_a_sqlite_backup_into_postgresql(sqlite_backup: Path, tmp_path: Path) -> None:
    refused = manage("restore", str(sqlite_backup), "--database-url", "postgres://nobody@127.0.0.1:1/vigilants",
                     database_url=f"sqlite:///{tmp_path}/unused.sqlite3")  # fmt: skip
    assert refused.returncode == 1 and "sauvegarde sqlite, base cible postgresql" in refused.stderr


def test_a_database_is_described_without_its_password() -> None:
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "vigilants", "USER": "app", "PASSWORD": SECRET,
          "HOST": "db.example", "PORT": 5432, "OPTIONS": {"sslmode": "require", "isolation_level": 1}}  # fmt: skip
    assert describe(db) == "postgresql://app@db.example:5432/vigilants"
    env = postgres.libpq_env(db)
    assert env["PGPASSWORD"] == SECRET and env["PGSSLMODE"] == "require" and env["PGDATABASE"] == "vigilants"
    assert "isolation_level" not in postgres.libpq_params(db)  # Django's option, not libpq's


def test_it_refuses_a_url_that_names_no_database() -> None:
    for url in ("not a url", "postgres://", "mysql://app@db/vigilants"):
        with pytest.raises(ContinuityError):
            from_url(url)


def test_an_output_directory_gets_a_dated_name(tmp_path: Path) -> None:
    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "vigilants"}
    assert output_path(db, str(tmp_path)).parent == tmp_path
    assert output_path(db, str(tmp_path)).name.startswith("vigilants-")
    assert output_path(db, str(tmp_path)).suffix == ".dump"
    assert output_path(db, str(tmp_path / "x.dump")) == tmp_path / "x.dump"


def test_differences_name_missing_tables_and_wrong_counts() -> None:
    assert count_differences({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5}) == [
        "b : 5 lignes (attendu 2)",
        "c : absente (attendu 3)",
    ]


@pytest.mark.postgres
def test_postgresql_backup_and_restore_never_show_the_password(
    transactional_db: None, fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    MembershipFactory.create_batch(3)
    calls: list[tuple[list[str], dict[str, str]]] = []
    run = postgres.subprocess.run

    def recording(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        calls.append((args, kwargs["env"]))
        return run(args, **kwargs)

    monkeypatch.setattr(postgres.subprocess, "run", recording)
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", SECRET)  # ignored by the test server (trust)
    out = StringIO()
    call_command("backup", output=str(tmp_path / "v.dump"), stdout=out)
    target = fresh_database_url.replace("@", f":{SECRET}@", 1)
    call_command("restore", str(tmp_path / "v.dump"), database_url=target, stdout=out)
    assert SECRET not in out.getvalue() + manifest_path(tmp_path / "v.dump").read_text()
    assert [args[0] for args, _env in calls] == ["pg_dump", "pg_restore"]
    assert all(SECRET not in " ".join(args) and env["PGPASSWORD"] == SECRET for args, env in calls)


@pytest.mark.postgres
def test_postgresql_backup_counts_the_dumped_snapshot_and_restore_checks_them(
    transactional_db: None, fresh_database_url: str, tmp_path: Path
) -> None:
    MembershipFactory.create_batch(5)
    dump = tmp_path / "v.dump"
    call_command("backup", output=str(dump), stdout=StringIO())
    manifest = json.loads(manifest_path(dump).read_text())
    live = table_counts(connection)
    # The backup's own record is written once the dump is complete: in the database, not in the dump.
    assert live.pop("continuity_backuprecord") == manifest["tables"].pop("continuity_backuprecord") + 1
    assert manifest["vendor"] == "postgresql" and manifest["tables"] == live
    assert manifest["tables"]["communes_membership"] == 5
    out = StringIO()
    call_command("restore", str(dump), database_url=fresh_database_url, stdout=out)
    assert "Base cible créée." in out.getvalue() and "adhésions : 5 lignes (manifeste : 5)" in out.getvalue()
    with pytest.raises(CommandError, match="n'est pas vide"):
        call_command("restore", str(dump), database_url=fresh_database_url, stdout=StringIO())
    forced = StringIO()
    call_command("restore", str(dump), database_url=fresh_database_url, force=True, stdout=forced)
    assert "Nombres de lignes identiques au manifeste" in forced.getvalue()
