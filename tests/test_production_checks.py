"""Production defaults fail loudly: `manage.py check`, gunicorn, Celery worker and beat refuse a configuration
that would run the embedded demo (or a misspelt backend) in production; the README's production
environment passes `check --deploy` without a warning."""

import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, write_service_account
from vigilants.checks import check_production

ROOT = Path(__file__).resolve().parent.parent
SECRET = "k3J9-prod-only-9fQx2LmZr7VtY0pWc4HsNd8Ue1GbAo6Ki5Rj"  # 50+ characters, many distinct
# README.md, "Production": the environment under which `manage.py check --deploy` says nothing.
PRODUCTION_ENV = {
    "DEBUG": "false", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "vigilants.example.fr",
    "PUBLIC_BASE_URL": "https://vigilants.example.fr", "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true",
    "DATABASE_URL": "postgres://vigilants:secret@db.internal:5432/vigilants", "REDIS_URL": "redis://redis.internal:6379/0",
    "SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN,
    "TWILIO_FROM": "+33700000001", "PUSH_BACKEND": "fcm",
}  # fmt: skip
# Variables of the machine running the tests that would change what is checked.
CONFIGURATION = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "PUBLIC_BASE_URL", "DATABASE_URL", "REDIS_URL", "SMS_BACKEND",
                 "PUSH_BACKEND", "ALLOW_EMBEDDED", "CELERY_BROKER_URL", "FIREBASE_CREDENTIALS", "SECURE_COOKIES"}  # fmt: skip


@pytest.fixture(scope="module")
def firebase_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_service_account(tmp_path_factory.mktemp("fcm") / "service-account.json", "https://oauth2.example")


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    # The embedded database is named, out of the tree, though nothing here should open it.
    clean = {k: v for k, v in os.environ.items() if k not in CONFIGURATION}
    clean["DATABASE_URL"] = f"sqlite:///{Path(tempfile.gettempdir()) / 'vigilants-checks-unused.sqlite3'}"
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


# --- manage.py check ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("setting", "value"), [("SMS_BACKEND", "twillio"), ("PUSH_BACKEND", "fcmm"),
                                                 ("SMS_BACKEND", "providers.nowhere.Backend")])  # fmt: skip
def test_an_unknown_backend_fails_check(setting: str, value: str) -> None:
    with override_settings(**{setting: value}), pytest.raises(SystemCheckError, match=r"vigilants\.E001") as failed:
        call_command("check")
    assert value in str(failed.value)


def test_an_importable_dotted_path_passes() -> None:
    with override_settings(DEBUG=True, SMS_BACKEND="fakeprovider.FakeProvider"):
        call_command("check")


def test_unknown_regions_and_an_empty_budget_fail_check() -> None:
    with override_settings(OTP_ALLOWED_REGIONS=["FR", "XX"]), pytest.raises(SystemCheckError, match="XX"):
        call_command("check")
    with override_settings(OTP_HOURLY_BUDGET=0), pytest.raises(SystemCheckError, match=r"vigilants\.E003"):
        call_command("check")


def embedded_databases() -> dict[str, Any]:
    return {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}


@pytest.fixture
def quiet_database_override() -> Iterator[None]:
    """The checks only read DATABASES; the connections already made keep their own settings."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Overriding setting DATABASES")
        yield


def test_with_debug_off_every_embedded_default_is_an_error(quiet_database_override: None) -> None:
    embedded = {
        "SMS_BACKEND": "providers.console.ConsoleSmsBackend", "REDIS_URL": "",
        "PUSH_BACKEND": "providers.console.ConsolePushBackend", "DATABASES": embedded_databases(),
    }  # fmt: skip
    with override_settings(DEBUG=False, ALLOW_EMBEDDED=False, **embedded):
        assert sorted(str(m.id) for m in check_production()) == [
            "vigilants.E010", "vigilants.E011", "vigilants.E012", "vigilants.E013"]
        with pytest.raises(SystemCheckError, match="ALLOW_EMBEDDED=true"):
            call_command("check")
    with override_settings(DEBUG=False, ALLOW_EMBEDDED=True, **embedded):
        assert check_production() == []
    with override_settings(DEBUG=True, ALLOW_EMBEDDED=False, **embedded):
        assert check_production() == []


def production_settings(firebase: Path) -> dict[str, Any]:
    """PRODUCTION_ENV as settings.py turns it into settings."""
    return {
        "DEBUG": False, "ALLOW_EMBEDDED": False, "SECRET_KEY": SECRET, "ALLOWED_HOSTS": ["vigilants.example.fr"],
        "PUBLIC_BASE_URL": "https://vigilants.example.fr", "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True, "REDIS_URL": "redis://redis.internal:6379/0",
        "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "vigilants"}},
        "SMS_BACKEND": "providers.twilio_sms.TwilioSmsBackend", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": "+33700000001",
        "PUSH_BACKEND": "providers.fcm.fcm_backend", "FIREBASE_CREDENTIALS": str(firebase),
    }  # fmt: skip


def test_the_production_environment_passes_check_deploy_without_a_warning(
    firebase_file: Path, quiet_database_override: None
) -> None:
    with override_settings(**production_settings(firebase_file)):
        call_command("check", "--deploy", fail_level="WARNING")
    # Without HSTS the same command fails: the test above could fail.
    with override_settings(**{**production_settings(firebase_file), "SECURE_HSTS_SECONDS": 0}), \
         pytest.raises(SystemCheckError, match=r"security\.W004"):  # fmt: skip
        call_command("check", "--deploy", fail_level="WARNING")


def test_the_readme_environment_passes_check_deploy_in_a_fresh_process(firebase_file: Path) -> None:
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                 {**PRODUCTION_ENV, "FIREBASE_CREDENTIALS": str(firebase_file)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    readme = (ROOT / "README.md").read_text()
    assert all(f"{name}=" in readme for name in PRODUCTION_ENV), "README.md documents this environment"


# --- start-up: gunicorn, Celery worker and beat ----------------------------------------------------------
EMBEDDED_PRODUCTION = {"DEBUG": "false", "SECRET_KEY": SECRET}


def test_the_wsgi_application_refuses_the_embedded_defaults_without_debug() -> None:
    refused = run(["-c", "import vigilants.wsgi"], EMBEDDED_PRODUCTION)
    assert refused.returncode == 1
    assert "the web server (vigilants.wsgi) refuses to start" in refused.stderr
    assert all(code in refused.stderr for code in ("vigilants.E010", "vigilants.E011", "vigilants.E012", "vigilants.E013"))
    allowed = run(["-c", "import vigilants.wsgi"], {**EMBEDDED_PRODUCTION, "ALLOW_EMBEDDED": "true"})
    assert allowed.returncode == 0, allowed.stderr


def test_gunicorn_exits_on_a_misspelt_backend() -> None:
    result = run(["-m", "gunicorn", "vigilants.wsgi", "-w", "1", "-b", "127.0.0.1:0"],
                 {"DEBUG": "true", "SMS_BACKEND": "twillio"}, timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "SMS_BACKEND='twillio'" in result.stderr


@pytest.mark.parametrize("command", [["worker", "--pool", "solo"], ["beat"]])
def test_celery_exits_on_a_misspelt_backend(command: list[str], tmp_path: Path) -> None:
    schedule = ["-s", str(tmp_path / "beat-schedule")] if command == ["beat"] else []
    result = run(["-m", "celery", "-A", "vigilants", *command, *schedule],
                 {"DEBUG": "true", "PUSH_BACKEND": "fcmm"}, timeout=60)  # fmt: skip
    assert result.returncode != 0
    process = "celery worker" if command[0] == "worker" else "celery beat"
    assert f"{process} refuses to start" in result.stderr
    assert "PUSH_BACKEND='fcmm'" in result.stderr
