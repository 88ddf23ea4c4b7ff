import logging
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from continuity.backups import backup, default_output
from continuity.databases import ContinuityError, DatabaseSettings, configured
from continuity.display import decimal
from continuity.manifest import Manifest, manifest_path
from continuity.models import BackupRecord


class Command(BaseCommand):
    help = "Sauvegarde la base (un instantané cohérent) et écrit son manifeste : backup [--output backups/]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="fichier, ou répertoire existant (défaut : backups/vigilants-AAAAMMJJ-HHMMSS.dump)")

    def handle(self, *args: Any, output: str | None, **options: Any) -> None:
        db = configured()
        path = output_path(db, output)
        try:
            manifest = backup(db, path)
        except ContinuityError as exc:
            raise CommandError(f"Sauvegarde impossible : {exc}") from None
        rows = sum(manifest.tables.values())
        _remember(manifest, rows)
        self.stdout.write(f"Manifeste : {manifest_path(path)} ({len(manifest.tables)} tables, {rows} lignes)")
        size, seconds = decimal(manifest.size / 1_000_000), decimal(manifest.seconds, 2)
        self.stdout.write(self.style.SUCCESS(f"Sauvegarde de {manifest.database} : {path} ({size} Mo, {seconds} s)"))


def _remember(manifest: Manifest, rows: int) -> None:
    """Recorded for the security report; a backup made is not undone if the record cannot be written."""
    try:
        BackupRecord.objects.create(dump=manifest.dump, size=manifest.size, sha256=manifest.sha256, rows=rows)
    except DatabaseError as exc:
        logging.getLogger(__name__).warning("backup done but not recorded: %s", type(exc).__name__)


def output_path(db: DatabaseSettings, output: str | None) -> Path:
    """A file name as given; a directory (cron: `--output /srv/backups/`) gets a dated name inside."""
    if output is None:
        return default_output(db)
    path = Path(output)
    return default_output(db, directory=path) if path.is_dir() or output.endswith("/") else path
