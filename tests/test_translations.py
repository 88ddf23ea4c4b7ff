"""French by default, English when the client asks: the catalogue and the behaviour.

The catalogue (locale/en/LC_MESSAGES/django.po, French source) must be complete: every entry translated, none
fuzzy or obsolete, the same placeholders on both sides, and up to date with the code (`make makemessages` would
add or drop nothing). The compiled .mo is not committed: the behaviour tests compile the committed .po into a
temporary directory. The tests that need GNU gettext (msgfmt, xgettext) carry the `gettext` marker: without it
`make test` leaves them out and says so, and fails with CI=true.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from conftest import Town
from notifications.composer import sms_text
from providers.models import ConsoleMessage

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
# As the Makefile's I18N_IGNORE: never searched for strings.
IGNORED = [".venv", "bench", "fakeprovider", "node_modules", "var"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                 "novembre", "décembre"]  # fmt: skip
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                  "November", "December"]  # fmt: skip


def gettext_tool(name: str) -> str:
    """The tests that need GNU gettext carry the `gettext` marker: `make test` leaves them out, saying so, on a
    machine without it, and fails in CI (scripts/run_tests.py). Run directly without it, they fail."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} (GNU gettext) is not installed: `make messages` installs it")
    return found


def entries(text: str) -> list[dict[str, Any]]:
    """The entries of a .po file, header included: msgctxt, msgid, msgid_plural, msgstr (index → text), flags,
    and whether it is obsolete (#~)."""
    found: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry: dict[str, Any] = {"flags": set(), "msgstr": {}, "obsolete": False}
        field: tuple[str, int] | str | None = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
                line = line[2:].strip()
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
                continue
            elif line.startswith("#") or not line.strip():
                continue
            keyword = re.match(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
            if keyword:
                name, index, value = keyword.groups()
                field = ("msgstr", int(index or 0)) if name == "msgstr" else name
                text_value = ast.literal_eval(value)
            else:
                text_value = ast.literal_eval(line.strip())
            if isinstance(field, tuple):
                entry["msgstr"][field[1]] = entry["msgstr"].get(field[1], "") + text_value
            elif field is not None:
                entry[field] = entry.get(field, "") + text_value
        if "msgid" in entry:
            found.append(entry)
    return found


def keys(found: list[dict[str, Any]]) -> set[tuple[str | None, str, str | None]]:
    return {(e.get("msgctxt"), e["msgid"], e.get("msgid_plural")) for e in found if e["msgid"] and not e["obsolete"]}


def describe(entry: dict[str, Any]) -> str:
    return repr(entry["msgid"][:80])


def test_every_entry_of_the_catalogue_is_translated_and_none_is_fuzzy_or_obsolete() -> None:
    found = entries(CATALOGUE.read_text(encoding="utf-8"))
    header, messages = found[0], found[1:]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0] and "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    assert len(messages) > 400
    assert [describe(e) for e in messages if e["obsolete"]] == []
    assert [describe(e) for e in messages if "fuzzy" in e["flags"]] == []
    forms = {e["msgid"]: 2 if e.get("msgid_plural") else 1 for e in messages}  # English has two plural forms
    untranslated = [describe(e) for e in messages if len(e["msgstr"]) != forms[e["msgid"]] or not all(e["msgstr"].values())]
    assert untranslated == []


def test_translations_keep_the_placeholders_of_the_french() -> None:
    wrong = []
    for entry in entries(CATALOGUE.read_text(encoding="utf-8"))[1:]:
        expected = set(PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", "")))
        for translated in entry["msgstr"].values():
            if set(PLACEHOLDER.findall(translated)) != expected:
                wrong.append(describe(entry))
    assert wrong == []


@pytest.mark.gettext
def test_msgfmt_accepts_the_catalogue(tmp_path: Path) -> None:
    msgfmt = gettext_tool("msgfmt")
    checked = subprocess.run([msgfmt, "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "untranslated" not in checked.stderr and "fuzzy" not in checked.stderr, checked.stderr


@pytest.mark.gettext
def test_makemessages_would_add_or_drop_nothing(tmp_path: Path) -> None:
    """The code's strings, extracted as `make makemessages` does into a copy of the project, are the catalogue's."""
    gettext_tool("xgettext")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.mo", "staticfiles", *IGNORED))
    command = [sys.executable, "manage.py", "makemessages", "--locale", "en", "--add-location", "file", "--verbosity", "0"]
    for name in IGNORED:
        command += ["--ignore", name]
    env = {**os.environ, "DEBUG": "true", "SECRET_KEY": "catalogue-check", "DJANGO_SETTINGS_MODULE": "vigilants.settings"}
    made = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    extracted = keys(entries((copy / CATALOGUE.relative_to(ROOT)).read_text(encoding="utf-8")))
    committed = keys(entries(CATALOGUE.read_text(encoding="utf-8")))
    assert sorted(extracted - committed, key=str) == [], "new strings: run `make makemessages` and translate them"
    assert sorted(committed - extracted, key=str) == [], "strings gone from the code: run `make makemessages`"


# --- Behaviour ----------------------------------------------------------------------------


@pytest.fixture
def english(tmp_path: Path, settings: Any) -> Iterator[None]:
    """The committed catalogue, compiled: LOCALE_PATHS changed clears Django's translation caches."""
    msgfmt = gettext_tool("msgfmt")
    compiled = tmp_path / "locale" / "en" / "LC_MESSAGES"
    compiled.mkdir(parents=True)
    subprocess.run([msgfmt, "--check", "-o", str(compiled / "django.mo"), str(CATALOGUE)], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.mark.gettext
def test_an_api_error_is_french_by_default_and_english_when_asked(db: None, english: None) -> None:
    client = APIClient()
    french = client.post("/api/v1/auth/otp/request", {"phone": "123"}, format="json")
    assert french.status_code == 400 and french.json() == {"phone": ["Numéro de téléphone invalide."]}
    assert french["Content-Language"] == "fr"
    asked = client.post("/api/v1/auth/otp/request", {"phone": "123"}, format="json", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert asked.status_code == 400 and asked.json() == {"phone": ["Invalid phone number."]}
    assert asked["Content-Language"] == "en"
    # Any language the service does not have: French.
    other = client.post("/api/v1/auth/otp/request", {"phone": "123"}, format="json", HTTP_ACCEPT_LANGUAGE="de")
    assert other.json() == {"phone": ["Numéro de téléphone invalide."]}


@pytest.mark.gettext
def test_the_api_s_own_messages_follow_the_language_too(db: None, english: None) -> None:
    client = APIClient()
    assert client.get("/api/v1/me").json()["detail"] == "Informations d'authentification non fournies."
    assert client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en").json()["detail"] == "Authentication credentials were not provided."


@pytest.mark.gettext
def test_a_dashboard_page_is_french_by_default_and_english_when_asked(db: None, english: None) -> None:
    french = Client().get("/dashboard/login/").content.decode()
    assert '<html lang="fr"' in french and "Connexion aux tableaux de bord" in french
    assert "Numéro de téléphone mobile" in french
    asked = Client().get("/dashboard/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="en"' in asked and "Sign in to the dashboards" in asked and "Mobile phone number" in asked
    assert "Connexion" not in asked


@pytest.mark.gettext
def test_a_date_on_a_dashboard_page_is_french_by_default_and_english_when_asked(saint_paul: Town, english: None) -> None:
    saint_paul.commune.enrolled_at = timezone.make_aware(datetime(2024, 12, 5, 10, 0))
    saint_paul.commune.save(update_fields=["enrolled_at"])
    client = Client()
    client.force_login(saint_paul.mayor)
    french = client.get("/dashboard/communes/06128/").content.decode()
    assert "depuis le 5 décembre 2024." in french
    assert "févr." in french and "Feb" not in french  # the monthly table
    english_page = client.get("/dashboard/communes/06128/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "since 5 December 2024." in english_page and "décembre" not in english_page
    assert "Feb" in english_page and "févr." not in english_page


@pytest.mark.gettext
def test_the_security_report_s_date_reads_in_the_page_s_language(db: None, english: None) -> None:
    month = timezone.localtime().month
    french = Client().get("/security").content.decode()
    assert re.search(rf"Calculé le \d+ {FRENCH_MONTHS[month - 1]} \d{{4}} à \d\d:\d\d\.", french)
    asked = Client().get("/security", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(rf"Computed on \d+ {ENGLISH_MONTHS[month - 1]} \d{{4}} at \d\d:\d\d\.", asked)


@pytest.mark.gettext
def test_the_sign_in_sms_is_french_whatever_the_request_s_language(db: None, english: None) -> None:
    asked = APIClient().post("/api/v1/auth/otp/request", {"phone": "06 12 34 56 78"}, format="json",
                             HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert asked.status_code == 202 and asked.json() == {"detail": "Code sent."}
    body = ConsoleMessage.objects.filter(channel="sms").latest("created_at").body
    assert body.startswith(f"{django_settings.BRAND_NAME} : votre code de connexion est ")
    assert "Il expire dans 10 minutes." in body


@pytest.mark.gettext
def test_an_alert_sms_is_french_whatever_language_is_active(english: None) -> None:
    message = SimpleNamespace(urgent=True, commune=SimpleNamespace(name="Saint-Paul"), commune_ids=None, title="Cambriolage",
                              body="Rue X")
    with translation.override("en"):
        text = sms_text(message)  # type: ignore[arg-type]
    assert text.startswith("URGENT Vigilants Saint-Paul : ")
