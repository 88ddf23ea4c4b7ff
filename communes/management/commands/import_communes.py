from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from communes.importer import DEFAULT_PATH, CommuneFileError, import_communes


class Command(BaseCommand):
    help = "Charge (ou met à jour) la liste de référence des communes françaises. Idempotent, tout ou rien."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help="CSV (ou .csv.gz)")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            count = import_communes(Path(path))
        except FileNotFoundError:
            raise CommandError(f"Fichier introuvable : {path}") from None
        except CommuneFileError as exc:
            raise CommandError(f"{path}, {exc}. Aucune commune n'a été modifiée.") from exc
        self.stdout.write(self.style.SUCCESS(f"{count} communes importées depuis {path}."))
