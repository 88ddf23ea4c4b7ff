from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from continuity.backups import RestoreReport, restore
from continuity.databases import ContinuityError, configured, describe, from_url
from continuity.display import decimal
from continuity.manifest import MAIN_TABLES


class Command(BaseCommand):
    help = (
        "Restaure une sauvegarde dans une base neuve (créée si besoin) et la vérifie d'après son manifeste : "
        "restore backups/vigilants-AAAAMMJJ-HHMMSS.dump [--database-url URL]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="le fichier de sauvegarde (son manifeste .json est à côté)")
        parser.add_argument("--database-url", help="base cible (défaut : DATABASE_URL)")
        parser.add_argument("--force", action="store_true", help="remplacer le contenu d'une base cible non vide")

    def handle(self, *args: Any, path: str, database_url: str | None, force: bool, **options: Any) -> None:
        try:
            db = from_url(database_url) if database_url else configured()
            self.stdout.write(f"Restauration de {path} dans {describe(db)}")
            report = restore(Path(path), db, force=force)
        except ContinuityError as exc:
            raise CommandError(f"Restauration impossible : {exc}") from None
        self._report(report)
        if not report.ok:
            raise CommandError("La base restaurée ne correspond pas au manifeste : ne la mettez pas en service.")
        self.stdout.write(self.style.SUCCESS(f"Restauration vérifiée en {decimal(report.seconds, 2)} s."))

    def _report(self, report: RestoreReport) -> None:
        manifest = report.manifest
        self.stdout.write(f"Sauvegarde du {manifest.created_at} ({manifest.database})")
        if report.created:
            self.stdout.write("Base cible créée.")
        for table, label in MAIN_TABLES.items():
            if table in manifest.tables:
                self.stdout.write(f"  {label} : {report.counts.get(table, 0)} lignes (manifeste : {manifest.tables[table]})")
        for line in report.differences:
            self.stderr.write(self.style.ERROR(f"  différence : {line}"))
        if not report.differences:
            self.stdout.write(f"Nombres de lignes identiques au manifeste dans les {len(manifest.tables)} tables.")
        if report.extra_tables:
            self.stdout.write(self.style.WARNING(f"Tables absentes de la sauvegarde : {', '.join(report.extra_tables)}"))
        self._migrations(report)

    def _migrations(self, report: RestoreReport) -> None:
        if not report.migrations_match:
            self.stderr.write(self.style.ERROR("Migrations : différentes de celles du manifeste."))
        elif report.unapplied:
            self.stdout.write(self.style.WARNING(
                f"Migrations : sauvegarde d'une version antérieure, lancez migrate ({', '.join(report.unapplied)})."
            ))  # fmt: skip
        else:
            self.stdout.write("Migrations : celles du manifeste ; migrate n'a rien à appliquer.")
