"""The security self-assessment follows the running configuration and the database, not a text."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from accounts.staff_auth import enrol
from continuity.models import BackupRecord
from security import controls
from security.dependencies import read_report, record, run_pip_audit
from security.models import AuditOutcome, DependencyAudit

pytestmark = pytest.mark.django_db

HTTPS = {"PUBLIC_BASE_URL": "https://vigilants.example.fr", "SECURE_SSL_REDIRECT": True,
         "SECURE_HSTS_SECONDS": 31_536_000, "SESSION_COOKIE_SECURE": True}  # fmt: skip
REPORT = {"dependencies": [
    {"name": "django", "version": "5.2.19", "vulns": []},
    {"name": "requests", "version": "2.0.0", "vulns": [{"id": "PYSEC-2023-74", "fix_versions": ["2.31.0"]}]},
    {"name": "private-lib", "skip_reason": "Dependency not found on PyPI"},
], "fixes": []}  # fmt: skip


def by_key(key: str) -> controls.Control:
    return next(c for c in controls.report().controls if c.key == key)


def test_transport_follows_the_https_settings() -> None:
    with override_settings(PUBLIC_BASE_URL="http://10.0.0.1:8000", SECURE_SSL_REDIRECT=False, SECURE_HSTS_SECONDS=0):
        assert by_key("transport").status == "missing"
    with override_settings(**{**HTTPS, "SECURE_HSTS_SECONDS": 3600}):
        assert by_key("transport").status == "partial"
    with override_settings(**HTTPS):
        control = by_key("transport")
    assert control.status == "ok" and control.facts["hsts_seconds"] == 31_536_000


def test_the_headers_control_reads_both_middleware_chains(settings) -> None:
    assert by_key("headers").status == "ok"
    settings.API_MIDDLEWARE = [m for m in settings.API_MIDDLEWARE if not m.endswith("PrivateResponsesMiddleware")]
    control = by_key("headers")
    assert control.status == "partial" and control.facts["private_answers_not_stored"] is False


def test_staff_without_a_totp_device_are_counted(staff) -> None:
    assert by_key("staff_second_factor").facts == {"admin_requires_totp": True, "staff_accounts": 1,
                                                   "staff_without_totp": 1}  # fmt: skip
    enrol(staff)
    device = staff.totpdevice_set.get()
    device.confirmed = True
    device.save()
    assert by_key("staff_second_factor").facts["staff_without_totp"] == 0


def test_the_lockout_figures_are_the_settings(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 7
    control = by_key("brute_force")
    assert control.status == "ok"
    assert control.facts["password_failures_before_lockout"] == 7 and "7 échecs" in control.summary


def test_the_sms_fraud_control_shows_the_regions_and_the_budget(settings) -> None:
    settings.OTP_ALLOWED_REGIONS = ["FR", "RE"]
    settings.OTP_HOURLY_BUDGET = 40
    control = by_key("sms_fraud")
    assert control.facts["allowed_regions"] == ["FR", "RE"] and control.facts["hourly_budget"] == 40


def test_a_log_handler_that_does_not_mask_is_found(settings) -> None:
    assert by_key("logs").status == "ok"
    logging = settings.LOGGING
    settings.LOGGING = {
        **logging, "formatters": {**logging["formatters"], "raw": {"format": "%(message)s"}},
        "handlers": {**logging["handlers"], "file": {"class": "logging.FileHandler", "formatter": "raw"}},
    }  # fmt: skip
    assert by_key("logs").status == "missing"


def test_the_last_backup_is_read_from_the_records() -> None:
    assert by_key("backup").status == "missing"
    BackupRecord.objects.create(dump="vigilants-20261204-0300.dump", size=10, sha256="0" * 64, rows=3)
    assert by_key("backup").status == "ok"
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert by_key("backup").status == "partial"


def test_a_backup_is_recorded_when_it_succeeds(tmp_path) -> None:
    call_command("backup", output=str(tmp_path / "b.dump"), stdout=StringIO())
    last = BackupRecord.objects.get()
    assert last.dump == "b.dump" and last.size > 0 and len(last.sha256) == 64


def test_a_report_with_advisories_is_vulnerable_and_skipped_packages_are_not_clean() -> None:
    findings = read_report(REPORT)
    assert findings.outcome == AuditOutcome.VULNERABLE
    assert (findings.audited, findings.skipped) == (2, 1)
    assert findings.vulnerabilities == [{"name": "requests", "version": "2.0.0", "id": "PYSEC-2023-74",
                                         "fix_versions": ["2.31.0"]}]  # fmt: skip
    nothing_checked = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}
    assert read_report(nothing_checked).outcome == AuditOutcome.UNREACHABLE


def test_an_advisory_database_out_of_reach_is_reported_not_a_failure(monkeypatch) -> None:
    # A closed network: pip-audit runs for real and cannot reach PyPI through a proxy that refuses.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    audit = record(run_pip_audit())
    assert audit.outcome == AuditOutcome.UNREACHABLE
    control = by_key("dependency_audit")
    assert control.status == "partial" and "base des avis inaccessible" in control.summary


def test_known_vulnerabilities_make_the_control_missing_but_stay_off_the_public_page(db: None) -> None:
    record(read_report(REPORT))
    assert by_key("dependency_audit").status == "missing"
    page = Client().get("/security").content.decode()
    assert "1 avis" in page and "requests" not in page and "PYSEC" not in page


def test_a_clean_audit_grows_stale() -> None:
    record(read_report({"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}))
    assert by_key("dependency_audit").status == "ok"
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        assert by_key("dependency_audit").status == "partial"


def test_the_dependency_audit_command_loads_a_report_made_elsewhere(tmp_path) -> None:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(REPORT))
    out = StringIO()
    call_command("dependency_audit", report=str(path), stdout=out)
    assert DependencyAudit.objects.get().outcome == AuditOutcome.VULNERABLE
    assert "PYSEC-2023-74" in out.getvalue() and "2.31.0" in out.getvalue()
    path.write_text('{"not": "pip-audit"}')
    with pytest.raises(CommandError):
        call_command("dependency_audit", report=str(path), stdout=StringIO())


def test_debug_is_a_missing_production_configuration(settings) -> None:
    settings.DEBUG = True
    assert by_key("configuration").status == "missing"


def test_the_grade_counts_partial_controls_half() -> None:
    def make(status: str) -> controls.Control:
        return controls.Control("k", "t", status, "s")  # type: ignore[arg-type]

    assert controls.grade([make("ok")] * 10) == "A"
    assert controls.grade([make("ok")] * 8 + [make("partial")] * 2) == "A"
    assert controls.grade([make("ok")] * 6 + [make("missing")] * 4) == "C"
    assert controls.grade([make("missing")] * 10) == "E"


def test_the_public_page_lists_every_control() -> None:
    response = Client().get("/security")
    assert response.status_code == 200
    page = response.content.decode()
    for control in controls.report().controls:
        assert control.title.replace("'", "&#x27;") in page
    assert "République" not in page


def test_the_json_carries_the_same_controls() -> None:
    data = Client().get("/security.json").json()
    assert data["grade"] in "ABCDE"
    assert [c["key"] for c in data["controls"]] == [c.key for c in controls.report().controls]


def test_security_txt_only_with_a_contact(settings) -> None:
    assert Client().get("/.well-known/security.txt").status_code == 404
    settings.SECURITY_CONTACT = "mailto:securite@example.fr"
    text = Client().get("/.well-known/security.txt").content.decode()
    assert "Contact: mailto:securite@example.fr" in text and "Expires: " in text


def test_the_command_prints_the_report_and_fails_when_strict_with_gaps() -> None:
    out = StringIO()
    call_command("security_report", stdout=out)
    assert "Auto-évaluation de sécurité" in out.getvalue() and "[absent]" in out.getvalue()
    with pytest.raises(CommandError, match="backup"):
        call_command("security_report", strict=True, stdout=StringIO())
    data = StringIO()
    call_command("security_report", as_json=True, stdout=data)
    assert {c["key"] for c in json.loads(data.getvalue())["controls"]} >= {"transport", "backup", "dependency_audit"}


def test_every_page_links_to_the_self_assessment() -> None:
    page = Client().get("/dashboard/login/").content.decode()
    assert 'href="/security"' in page
