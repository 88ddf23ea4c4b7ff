"""manage.py vigicrues_sections [--sections AP1 AP2] [--file communes.csv]: which communes each Vigicrues section
runs through (risks/vigilance/sections.py), read from Vigicrues' stations and/or a `section;insee` file."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from risks.vigilance import sections
from risks.vigilance.base import SourceError


class Command(BaseCommand):
    help = "Charge les communes des tronçons Vigicrues (stations de Vigicrues, et/ou un fichier section;insee)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sections", nargs="*", help="only these sections (codes such as AP1)")
        parser.add_argument("--file", type=Path, help="a section;insee[;name] file (replaces the file's rows)")
        parser.add_argument("--no-stations", action="store_true", help="do not ask Vigicrues")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            count = sections.replace_from_file(options["file"])
            self.stdout.write(f"{count} commune(s) de tronçons chargées depuis {options['file']}")
        if options["no_stations"]:
            return
        if not settings.VIGICRUES_URL:
            raise CommandError("VIGICRUES_URL n'est pas défini.")
        try:
            found = sections.crawl(options["sections"])
        except SourceError as error:
            raise CommandError(f"Vigicrues : {error} (rien n'a été changé)") from None
        count = sections.replace_from_stations(found)
        self.stdout.write(f"{len(found)} tronçon(s), {count} commune(s) d'après les stations de Vigicrues")
