"""Configuration that must fail loudly: at `manage.py check` (and migrate, runserver…) and at the start of
gunicorn, a Celery worker and beat, which run no system checks of their own (see `refuse_to_start`).

Always an error: a provider backend that is neither a known name nor an importable dotted path (a typo such
as `SMS_BACKEND=twillio` used to reach the first SMS), sign-in settings that make no sense.
With DEBUG=false, unless ALLOW_EMBEDDED=true (the explicit switch for a demo): the embedded defaults, which
are right on a laptop and wrong in production — console SMS or push (nothing reaches anyone), SQLite (one
machine, one writer) and no REDIS_URL (throttles, the SMS rate and the sign-in budget counted per process).
"""

import sys
from collections.abc import Iterable
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.checks import CheckMessage, Error, register, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

TAG = "vigilants"
DEV_SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105 - the one settings.py falls back to
EMBEDDED_HINT = "Set it for production, or ALLOW_EMBEDDED=true to run the embedded demo with DEBUG=false."


@register(TAG)
def check_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        error
        for name, path, known in (
            ("SMS_BACKEND", settings.SMS_BACKEND, settings.SMS_BACKENDS),
            ("PUSH_BACKEND", settings.PUSH_BACKEND, settings.PUSH_BACKENDS),
        )
        if (error := _backend_error(name, path, known)) is not None
    ]


def _backend_error(name: str, path: str, known: dict[str, str]) -> CheckMessage | None:
    if path in known.values():  # ours: imported by the tests, not here (firebase-admin is slow to import)
        return None
    try:
        import_string(path)
    except ImportError:
        return Error(
            f"{name}={path!r} is neither a known backend nor an importable dotted path.",
            hint=f"Known backends: {', '.join(known)}.", id="vigilants.E001",
        )  # fmt: skip
    return None


@register(TAG)
def check_sign_in(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    unknown = sorted(set(settings.OTP_ALLOWED_REGIONS) - phonenumbers.SUPPORTED_REGIONS)
    if unknown or not settings.OTP_ALLOWED_REGIONS:
        errors.append(Error(
            f"OTP_ALLOWED_REGIONS must list ISO 3166 region codes; unknown: {', '.join(unknown) or '(none given)'}.",
            hint="For example FR,GP,MQ,GF,RE,YT,PM,BL,MF,WF,PF,NC (the default).", id="vigilants.E002",
        ))  # fmt: skip
    if settings.OTP_HOURLY_BUDGET < 1:
        errors.append(Error("OTP_HOURLY_BUDGET must be at least 1.", id="vigilants.E003"))
    return errors


@register(TAG)
def check_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or settings.ALLOW_EMBEDDED:
        return []
    problems = [
        (settings.SMS_BACKENDS["console"] == settings.SMS_BACKEND,
         "SMS_BACKEND is console with DEBUG=false: sign-in codes and alerts would reach nobody.", "vigilants.E010"),
        (settings.PUSH_BACKENDS["console"] == settings.PUSH_BACKEND,
         "PUSH_BACKEND is console with DEBUG=false: alerts would reach nobody.", "vigilants.E011"),
        (settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
         "DATABASE_URL is SQLite with DEBUG=false: use PostgreSQL.", "vigilants.E012"),
        (not settings.REDIS_URL,
         "REDIS_URL is not set with DEBUG=false: throttles, the SMS rate and the sign-in budget would be counted "
         "in each process, and tasks would run inside web requests.", "vigilants.E013"),
        (settings.SECRET_KEY == DEV_SECRET_KEY, "SECRET_KEY is the development key with DEBUG=false.", "vigilants.E014"),
    ]  # fmt: skip
    return [Error(message, hint=EMBEDDED_HINT, id=check_id) for failed, message, check_id in problems if failed]


def startup_errors() -> list[CheckMessage]:
    """What `manage.py check` would refuse (every registered check but the database and deployment ones)."""
    return [m for m in run_checks() if m.is_serious() and not m.is_silenced()]


class StartupRefused(ImproperlyConfigured):
    pass


def refuse_to_start(process: str) -> None:
    """Print the check messages and raise StartupRefused when the configuration is wrong: gunicorn, Celery
    worker and beat. An exception, not an exit: gunicorn stops for good on a worker that failed to boot,
    and restarts, forever, one that exited."""
    errors = startup_errors()
    if errors:
        stream = sys.__stderr__ or sys.stderr  # Celery may have turned sys.stderr into log records
        stream.write(_report(process, errors))
        stream.flush()
        raise StartupRefused(f"{process}: configuration errors, listed above.")


def _report(process: str, errors: Iterable[CheckMessage]) -> str:
    lines = [f"{process} refuses to start: the configuration has errors (manage.py check lists them too):"]
    lines += [f"  {message}" for message in errors]
    return "\n".join(lines) + "\n"
