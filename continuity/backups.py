"""Back up the database with its manifest; restore a backup into a fresh database and check it.

A backup is complete once its manifest exists: the dump is renamed into place first, the manifest
written last, so a crash in between leaves a dump that `restore` refuses (nothing to check it against).
"""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType

import psycopg
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from . import postgres, sqlite
from .databases import (
    POSTGRESQL,
    SQLITE,
    ContinuityError,
    DatabaseSettings,
    applied_migrations,
    connected,
    describe,
    first_line,
    table_counts,
    unapplied_migrations,
    vendor,
)
from .files import replace_durably, temporary_beside
from .manifest import Manifest, count_differences, manifest_path, sha256

SUFFIXES = {POSTGRESQL: ".dump", SQLITE: ".sqlite3"}


@dataclass
class RestoreReport:
    manifest: Manifest
    created: bool  # the target database did not exist
    counts: dict[str, int]
    differences: list[str]  # tables whose count is not the manifest's
    migrations_match: bool
    unapplied: list[str]  # what `migrate` would still do (a backup made by an older version)
    seconds: float
    extra_tables: list[str] = field(default_factory=list)  # left over in a --force target

    @property
    def ok(self) -> bool:
        return not self.differences and self.migrations_match


def default_output(db: DatabaseSettings, directory: Path | None = None, now: datetime | None = None) -> Path:
    stamp = timezone.localtime(now or timezone.now()).strftime("%Y%m%d-%H%M%S")
    return (directory or Path(settings.BASE_DIR) / "backups") / f"vigilants-{stamp}{SUFFIXES[vendor(db)]}"


def backup(db: DatabaseSettings, output: Path) -> Manifest:
    started = time.monotonic()
    created_at = timezone.localtime().isoformat(timespec="seconds")
    with _reported(db):
        temporary = temporary_beside(output)
        try:
            counts, migrations = _engine(db).dump(db, temporary)
            size, checksum = temporary.stat().st_size, sha256(temporary)
            replace_durably(temporary, output)
        finally:
            temporary.unlink(missing_ok=True)
        manifest = Manifest(created_at=created_at, vendor=vendor(db), database=describe(db), dump=output.name,
                            size=size, sha256=checksum, seconds=round(time.monotonic() - started, 2), tables=counts,
                            migrations=migrations)  # fmt: skip
        manifest.write(manifest_path(output))
    return manifest


def read_manifest(dump: Path) -> Manifest:
    """The dump's manifest, once the dump is known to be the very file it describes."""
    path = manifest_path(dump)
    if not dump.is_file():
        raise ContinuityError(f"sauvegarde introuvable : {dump}")
    if not path.is_file():
        raise ContinuityError(f"manifeste introuvable : {path} (sauvegarde incomplète ?)")
    try:
        manifest = Manifest.read(path)
    except (ValueError, TypeError) as exc:
        raise ContinuityError(f"manifeste illisible : {path} ({exc})") from None
    if dump.stat().st_size != manifest.size or sha256(dump) != manifest.sha256:
        raise ContinuityError(f"{dump} ne correspond pas à son manifeste (copie tronquée ou abîmée)")
    return manifest


def restore(dump: Path, db: DatabaseSettings, force: bool = False) -> RestoreReport:
    started = time.monotonic()  # from the checksum on: what an operator waits for
    manifest = read_manifest(dump)
    if manifest.vendor != vendor(db):
        raise ContinuityError(f"sauvegarde {manifest.vendor}, base cible {vendor(db)} : restauration impossible")
    with _reported(db):
        created = _prepare(db, force)
        _engine(db).load(dump, db, clean=force and not created)
        return _check(manifest, db, created, started)


@contextmanager
def _reported(db: DatabaseSettings) -> Iterator[None]:
    """Database and file errors as one line for the operator, naming the database without its password."""
    try:
        yield
    except OSError as exc:  # the backup's directory or file: not the database's fault
        raise ContinuityError(f"{exc.filename or ''} : {exc.strerror or first_line(exc)}") from None
    except (psycopg.Error, sqlite3.Error, DatabaseError) as exc:
        raise ContinuityError(f"{describe(db)} : {first_line(exc)}") from None


def _prepare(db: DatabaseSettings, force: bool) -> bool:
    """Create the target if missing; refuse one that holds anything, unless forced."""
    engine = _engine(db)
    if engine.ensure_database(db):
        return True
    objects = engine.object_count(db)
    if objects and not force:
        raise ContinuityError(
            f"la base cible {describe(db)} n'est pas vide ({objects} objets) : choisissez une base neuve, "
            "ou --force pour remplacer son contenu"
        )
    return False


def _engine(db: DatabaseSettings) -> ModuleType:
    return postgres if vendor(db) == POSTGRESQL else sqlite


def _check(manifest: Manifest, db: DatabaseSettings, created: bool, started: float) -> RestoreReport:
    with connected(db) as connection:
        counts = table_counts(connection)
        migrations = applied_migrations(connection)
        unapplied = unapplied_migrations(connection)
    return RestoreReport(
        manifest=manifest, created=created, counts=counts, differences=count_differences(manifest.tables, counts),
        migrations_match=migrations == manifest.migrations, unapplied=unapplied,
        seconds=round(time.monotonic() - started, 2), extra_tables=sorted(set(counts) - set(manifest.tables)),
    )  # fmt: skip
