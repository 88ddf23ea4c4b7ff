"""The dependency audit: pip-audit over the installed packages, its result kept for the security report.

pip-audit reads its advisories from PyPI (or OSV). On a closed network it reaches neither: it then
skips every package, or stops on a connection error, and says "No known vulnerabilities found" all the
same. That is recorded as `unreachable` (nothing was checked), never as clean. An operator whose servers
cannot reach PyPI runs pip-audit elsewhere against requirements.txt and constraints.txt and loads its JSON
(`--report`).
"""

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from .models import AuditOutcome, DependencyAudit

TIMEOUT_SECONDS = 300
_NETWORK_ERRORS = ("ConnectionError", "ProxyError", "NameResolutionError", "Max retries exceeded", "timed out")


@dataclass
class Findings:
    outcome: str
    audited: int = 0
    skipped: int = 0
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""


def run_pip_audit() -> Findings:
    """pip-audit on this interpreter's packages, as JSON."""
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        return Findings(AuditOutcome.UNREACHABLE, detail=f"pas de réponse en {TIMEOUT_SECONDS} s")
    except OSError as exc:
        return Findings(AuditOutcome.FAILED, detail=str(exc)[:500])
    try:
        return read_report(json.loads(done.stdout))
    except (ValueError, KeyError, TypeError):
        return _failure(done.stderr)


def _failure(stderr: str) -> Findings:
    last = (stderr.strip().splitlines() or ["pip-audit n'a rien produit"])[-1][:500]
    if "No module named pip_audit" in stderr:
        return Findings(AuditOutcome.FAILED, detail="pip-audit n'est pas installé")
    unreachable = any(marker in stderr for marker in _NETWORK_ERRORS)
    return Findings(AuditOutcome.UNREACHABLE if unreachable else AuditOutcome.FAILED, detail=last)


def read_report(report: dict[str, Any]) -> Findings:
    """pip-audit's JSON (`--format json`): {"dependencies": [{name, version, vulns} | {name, skip_reason}]}."""
    dependencies = report["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    found = [{"name": d["name"], "version": d.get("version", ""), "id": v["id"], "fix_versions": v.get("fix_versions", [])}
             for d in audited for v in d.get("vulns", [])]  # fmt: skip
    skipped = len(dependencies) - len(audited)
    if found:
        outcome = AuditOutcome.VULNERABLE
    elif audited:
        outcome = AuditOutcome.CLEAN
    else:
        outcome = AuditOutcome.UNREACHABLE
    return Findings(outcome, audited=len(audited), skipped=skipped, vulnerabilities=found)


def record(findings: Findings) -> DependencyAudit:
    return DependencyAudit.objects.create(
        outcome=findings.outcome, audited=findings.audited, skipped=findings.skipped,
        vulnerabilities=findings.vulnerabilities, detail=findings.detail[:500],
    )  # fmt: skip
