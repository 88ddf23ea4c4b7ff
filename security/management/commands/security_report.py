import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.controls import report

MARKS = {"ok": "[ok]     ", "partial": "[partiel]", "missing": "[absent] "}


class Command(BaseCommand):
    help = (
        "Auto-évaluation de sécurité de ce déploiement, calculée depuis sa configuration : à lire avant la "
        "mise en service. --json pour la sortie machine ; --strict échoue si un contrôle n'est pas en place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", dest="as_json", help="sortie JSON")
        parser.add_argument("--strict", action="store_true", help="code de sortie 1 si un contrôle n'est pas en place")

    def handle(self, *args: Any, as_json: bool, strict: bool, **options: Any) -> None:
        current = report()
        if as_json:
            self.stdout.write(json.dumps(current.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"Auto-évaluation de sécurité : {current.grade} ({current.generated_at})")
            for control in current.controls:
                self.stdout.write(f"{MARKS[control.status]} {control.title} : {control.summary}")
        gaps = [c.key for c in current.controls if c.status != "ok"]
        if strict and gaps:
            raise CommandError(f"contrôles à compléter : {', '.join(gaps)}")
