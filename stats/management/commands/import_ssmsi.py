from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stats.ssmsi import SsmsiFileError, import_ssmsi


class Command(BaseCommand):
    help = (
        "Importe (ou met à jour) les chiffres officiels de la délinquance enregistrée (SSMSI) : bases "
        "communale, départementale ou régionale, .csv ou .csv.gz. Idempotent, tout ou rien par fichier."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="FICHIER", help="CSV (ou .csv.gz) publié par le SSMSI")

    def handle(self, *args: Any, paths: list[str], **options: Any) -> None:
        # One transaction per file: a commune-level base alone holds millions of lines.
        for path in paths:
            try:
                result = import_ssmsi(Path(path))
            except FileNotFoundError:
                raise CommandError(f"Fichier introuvable : {path}{self._kept(paths, path)}") from None
            except SsmsiFileError as exc:
                message = f"{path}, {exc}. Aucun chiffre de ce fichier n'a été importé{self._kept(paths, path)}"
                raise CommandError(message) from exc
            self.stdout.write(
                self.style.SUCCESS(
                    f"{result.rows} lignes importées depuis {path} (niveau {result.level}, "
                    f"{result.withheld} non diffusées, années {', '.join(map(str, result.years))})."
                )
            )

    @staticmethod
    def _kept(paths: list[str], failed: str) -> str:
        done = paths[: paths.index(failed)]
        return f" ; les fichiers précédents restent importés : {', '.join(done)}." if done else "."
