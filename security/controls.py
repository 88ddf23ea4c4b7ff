"""The security self-assessment: each control read from the running configuration and the database, never
written by hand, so that the report says what this deployment does, not what it was meant to do.

A control is `ok` (in place), `partial` (in place with a gap the summary names) or `missing`. The grade
(A to E) is the share of controls in place, a partial one counting half: a self-assessment for the elected
officials choosing the service, not the certified cyberscore an accredited auditor gives.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.contrib import admin
from django.core.checks import run_checks
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.otp_budget import budget_state
from accounts.staff_auth import StaffAdminSite
from continuity.models import BackupRecord
from vigilants.checks import TAG as CONFIGURATION_CHECKS
from vigilants.logfilters import RedactingFormatter

from .models import AuditOutcome, DependencyAudit

Status = Literal["ok", "partial", "missing"]
ONE_YEAR = 365 * 24 * 3600
BACKUP_MAX_AGE = timedelta(hours=26)  # a daily backup, with room for the job's own duration
AUDIT_MAX_AGE = timedelta(days=31)
GRADES = [(0.9, "A"), (0.75, "B"), (0.6, "C"), (0.4, "D")]


@dataclass(frozen=True)
class Control:
    key: str
    title: str
    status: Status
    summary: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    generated_at: str
    grade: str
    controls: list[Control]

    def as_dict(self) -> dict[str, Any]:
        return {"generated_at": self.generated_at, "grade": self.grade,
                "controls": [asdict(control) for control in self.controls]}  # fmt: skip


def transport() -> Control:
    https = settings.PUBLIC_BASE_URL.startswith("https://")
    hsts, redirect = settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT
    facts = {"https": https, "ssl_redirect": redirect, "hsts_seconds": hsts, "secure_cookies": settings.SESSION_COOKIE_SECURE}
    if https and redirect and hsts >= ONE_YEAR and settings.SESSION_COOKIE_SECURE:
        return Control("transport", _("Échanges chiffrés (HTTPS, HSTS)"), "ok",
                       _("HTTPS imposé, HSTS d'un an ou plus, cookies réservés à HTTPS."), facts)  # fmt: skip
    if https:
        return Control("transport", _("Échanges chiffrés (HTTPS, HSTS)"), "partial",
                       _("Servi en HTTPS, mais sans redirection imposée, HSTS d'un an ou cookies sécurisés."), facts)  # fmt: skip
    return Control("transport", _("Échanges chiffrés (HTTPS, HSTS)"), "missing",
                   _("L'adresse publique du service n'est pas en HTTPS."), facts)  # fmt: skip


def staff_second_factor() -> Control:
    enforced = isinstance(admin.site, StaffAdminSite)
    staff = User.objects.filter(is_staff=True, is_active=True)
    without = staff.exclude(totpdevice__confirmed=True).count()
    facts = {"admin_requires_totp": enforced, "staff_accounts": staff.count(), "staff_without_totp": without}
    title = _("Second facteur pour l'équipe (TOTP)")
    if not enforced:
        return Control("staff_second_factor", title, "missing", _("L'administration n'exige pas de second facteur."), facts)
    summary = _("Mot de passe puis code TOTP pour l'administration et les tableaux de bord.")
    if without:
        summary += " " + ngettext("%(n)d compte de l'équipe sans appareil TOTP ne peut pas se connecter.",
                                  "%(n)d comptes de l'équipe sans appareil TOTP ne peuvent pas se connecter.",
                                  without) % {"n": without}  # fmt: skip
    return Control("staff_second_factor", title, "ok", summary, facts)


def brute_force() -> Control:
    installed = "axes" in settings.INSTALLED_APPS and "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    limit, cooloff = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
    facts = {"password_failures_before_lockout": limit, "lockout_minutes": int(cooloff.total_seconds() // 60),
             "lockout_by": list(settings.AXES_LOCKOUT_PARAMETERS), "sms_code_attempts": settings.OTP_MAX_ATTEMPTS,
             "sms_codes_per_number": f"{settings.OTP_MAX_PER_PHONE}/{settings.OTP_PHONE_WINDOW_SECONDS // 60} min"}  # fmt: skip
    title = _("Protection contre les essais de mots de passe")
    if not installed:
        return Control("brute_force", title, "missing", _("Aucun verrouillage après des échecs de connexion."), facts)
    return Control("brute_force", title, "ok", _(
        "Compte et adresse verrouillés %(minutes)d minutes après %(limit)d échecs ; un code SMS est brûlé après "
        "%(attempts)d essais."
    ) % {"minutes": facts["lockout_minutes"], "limit": limit, "attempts": settings.OTP_MAX_ATTEMPTS}, facts)  # fmt: skip


def sms_fraud() -> Control:
    state = budget_state()
    facts = {"allowed_regions": list(settings.OTP_ALLOWED_REGIONS), "hourly_budget": state.limit,
             "used_this_hour": state.used, "refused_this_hour": state.refused}  # fmt: skip
    status: Status = "partial" if state.exhausted else "ok"
    summary = _("Codes de connexion envoyés seulement vers %(regions)s ; au plus %(limit)d SMS de connexion par heure.") % {
        "regions": ", ".join(settings.OTP_ALLOWED_REGIONS), "limit": state.limit}  # fmt: skip
    if state.exhausted:
        summary += " " + _("Le budget de l'heure est atteint : des demandes sont refusées.")
    return Control("sms_fraud", _("Fraude aux SMS (pompage)"), status, summary, facts)


def retention() -> Control:
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    facts = {
        "reporter_link_days": settings.REPORTER_RETENTION_DAYS,
        "rejected_membership_days": settings.REJECTED_MEMBERSHIP_RETENTION_DAYS,
        "deliveries_days": settings.NOTIFICATIONS_RETENTION_DAYS,
        "sign_in_records_days": settings.AXES_RETENTION_DAYS,
        "sign_in_code_minutes": settings.OTP_TTL_SECONDS // 60,
        "purge_tasks_scheduled": sorted(task for task in beat if "purge" in task or "anonymise" in task),
    }
    summary = _(
        "Auteur d'un signalement dissocié après %(reporter)d jours ; demandes refusées effacées après %(rejected)d "
        "jours ; envois (numéros, jetons) après %(deliveries)d jours ; traces de connexion après %(signin)d jours ; "
        "codes SMS valables %(code)d minutes."
    ) % {"reporter": facts["reporter_link_days"], "rejected": facts["rejected_membership_days"],
         "deliveries": facts["deliveries_days"], "signin": facts["sign_in_records_days"],
         "code": facts["sign_in_code_minutes"]}  # fmt: skip
    status: Status = "ok" if len(facts["purge_tasks_scheduled"]) >= 4 else "partial"
    return Control("retention", _("Données gardées, et combien de temps"), status, summary, facts)


def logs_without_personal_data() -> Control:
    handlers = settings.LOGGING.get("handlers", {})
    masked = [name for name, handler in handlers.items() if _masks(handler)]
    facts = {"handlers": len(handlers), "masking_handlers": len(masked)}
    title = _("Journaux sans données personnelles")
    if handlers and len(masked) == len(handlers):
        return Control("logs", title, "ok", _("Numéros de téléphone et jetons masqués dans chaque journal, traces "
                                              "d'erreur comprises."), facts)  # fmt: skip
    return Control("logs", title, "missing", _("Au moins un journal n'est pas masqué."), facts)


def backups() -> Control:
    last = BackupRecord.objects.order_by("-finished_at").first()
    title = _("Dernière sauvegarde réussie")
    if last is None:
        return Control("backup", title, "missing", _("Aucune sauvegarde enregistrée (manage.py backup)."), {})
    age = timezone.now() - last.finished_at
    facts = {"finished_at": last.finished_at.isoformat(), "hours_ago": round(age.total_seconds() / 3600, 1)}
    status: Status = "ok" if age <= BACKUP_MAX_AGE else "partial"
    return Control("backup", title, status, _("Le %(date)s.") % {"date": _local(last.finished_at)}, facts)


def dependency_audit() -> Control:
    last = DependencyAudit.objects.order_by("-ran_at").first()
    title = _("Audit des dépendances (pip-audit)")
    if last is None:
        return Control("dependency_audit", title, "missing", _("Jamais exécuté (manage.py dependency_audit)."), {})
    facts = {"ran_at": last.ran_at.isoformat(), "outcome": last.outcome, "audited": last.audited,
             "skipped": last.skipped, "advisories": len(last.vulnerabilities)}  # fmt: skip
    summary = _("Le %(date)s : %(outcome)s (%(audited)d paquets vérifiés, %(advisories)d avis).") % {
        "date": _local(last.ran_at), "outcome": last.get_outcome_display(), "audited": last.audited,
        "advisories": len(last.vulnerabilities)}  # fmt: skip
    fresh = timezone.now() - last.ran_at <= AUDIT_MAX_AGE
    status: Status = "ok" if last.outcome == AuditOutcome.CLEAN and fresh else "partial"
    if last.outcome == AuditOutcome.VULNERABLE:
        status = "missing"
    return Control("dependency_audit", title, status, summary, facts)


def headers() -> Control:
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    strict_scripts = "'unsafe-inline'" not in directives.get("script-src", [])
    facts = {"content_security_policy": "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE,
             "scripts_without_inline": strict_scripts, "frame_options": settings.X_FRAME_OPTIONS,
             "nosniff": settings.SECURE_CONTENT_TYPE_NOSNIFF,
             "api_content_policy": "vigilants.middleware.ApiContentPolicyMiddleware" in settings.API_MIDDLEWARE,
             "private_answers_not_stored": all("vigilants.middleware.PrivateResponsesMiddleware" in chain
                                               for chain in (settings.MIDDLEWARE, settings.API_MIDDLEWARE))}
    status: Status = "ok" if all(facts.values()) else "partial"
    return Control("headers", _("En-têtes de sécurité des pages"), status, _(
        "Politique de sécurité du contenu sans script en ligne, pas d'affichage dans un cadre, réponses personnelles "
        "jamais mises en cache."), facts)  # fmt: skip


def configuration() -> Control:
    problems = [message.id for message in run_checks(tags=[CONFIGURATION_CHECKS]) if message.is_serious()]
    facts = {"debug": settings.DEBUG, "embedded_allowed": settings.ALLOW_EMBEDDED, "failed_checks": problems}
    title = _("Configuration de production")
    if settings.DEBUG or problems:
        return Control("configuration", title, "missing", _(
            "Mode développement ou configuration incomplète (console, SQLite, Redis absent…)."), facts)  # fmt: skip
    if settings.ALLOW_EMBEDDED:
        return Control("configuration", title, "partial", _("Démonstration autorisée (ALLOW_EMBEDDED)."), facts)
    return Control("configuration", title, "ok", _("Mode production, fournisseurs réels, PostgreSQL et Redis."), facts)


def audit_log() -> Control:
    triggers = _audit_triggers()
    facts = {"database_refuses": sorted(triggers)}
    title = _("Journal d'audit inaltérable")
    if {"audit_entry_append_only", "audit_entry_no_truncate"} <= triggers:
        return Control("audit_log", title, "ok", _("La base refuse de modifier, d'effacer ou de vider le journal."), facts)
    return Control("audit_log", title, "partial", _("Seule l'application protège le journal."), facts)


def sessions() -> Control:
    facts = {"max_hours": settings.SESSION_COOKIE_AGE // 3600, "idle_minutes": settings.SESSION_IDLE_TIMEOUT // 60,
             "end_at_browser_close": settings.SESSION_EXPIRE_AT_BROWSER_CLOSE}  # fmt: skip
    return Control("sessions", _("Sessions qui expirent"), "ok", _(
        "Session des tableaux de bord close après %(idle)d minutes sans activité et au plus %(hours)d heures."
    ) % {"idle": facts["idle_minutes"], "hours": facts["max_hours"]}, facts)  # fmt: skip


def _masks(handler: dict[str, Any]) -> bool:
    """A handler of the LOGGING setting whose formatter masks whole records, tracebacks included."""
    formatter = settings.LOGGING.get("formatters", {}).get(handler.get("formatter", ""), {})
    try:
        return issubclass(import_string(formatter.get("class", "logging.Formatter")), RedactingFormatter)
    except ImportError:
        return False


def _audit_triggers() -> set[str]:
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditentry'::regclass")
        return {row[0] for row in cursor.fetchall()}


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


CONTROLS: list[Callable[[], Control]] = [
    transport, staff_second_factor, brute_force, sms_fraud, sessions, headers, logs_without_personal_data,
    retention, audit_log, backups, dependency_audit, configuration,
]


def grade(controls: list[Control]) -> str:
    score = sum({"ok": 1.0, "partial": 0.5, "missing": 0.0}[c.status] for c in controls) / len(controls)
    return next((letter for threshold, letter in GRADES if score >= threshold), "E")


def report() -> Report:
    controls = [control() for control in CONTROLS]
    return Report(timezone.now().isoformat(timespec="seconds"), grade(controls), controls)
