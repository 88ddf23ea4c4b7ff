import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from security.dependencies import Findings, read_report, record, run_pip_audit


class Command(BaseCommand):
    help = (
        "Audite les dépendances installées (pip-audit) et garde le résultat pour le rapport de sécurité ; "
        "--report FICHIER charge le JSON d'un pip-audit lancé ailleurs (réseau fermé)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--report", help="sortie JSON de `pip-audit -r requirements.txt -r constraints.txt"
                                              " --no-deps -f json`")

    def handle(self, *args: Any, report: str | None, **options: Any) -> None:
        findings = run_pip_audit() if report is None else _read(report)
        audit = record(findings)
        self.stdout.write(
            f"Audit des dépendances : {audit.get_outcome_display()} "
            f"({audit.audited} paquets vérifiés, {audit.skipped} non vérifiés, {len(audit.vulnerabilities)} avis)"
        )
        for item in audit.vulnerabilities:
            fixes = ", ".join(item["fix_versions"]) or "aucune"
            self.stdout.write(f"  {item['name']} {item['version']} : {item['id']} (corrigé en : {fixes})")
        if audit.detail:
            self.stdout.write(f"  {audit.detail}")


def _read(path: str) -> Findings:
    try:
        return read_report(json.loads(Path(path).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"rapport pip-audit illisible : {exc!r}") from None
