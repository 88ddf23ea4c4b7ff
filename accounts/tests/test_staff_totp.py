"""The operator's TOTP enrolment (`manage.py staff_totp`), the demo's staff secret, sign-in records' retention."""

import io
import re
from base64 import b32decode
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import staff_auth
from accounts.models import User
from accounts.rgpd import erase_user, export_user
from accounts.tasks import purge_sign_in_records
from conftest import Town
from tests.factories import CommuneFactory

pytestmark = pytest.mark.django_db

URI = re.compile(r"otpauth://totp/\S+")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("staff_totp", *args, stdout=out)
    return out.getvalue()


def secret_of(output: str) -> bytes:
    found = URI.search(output)
    assert found is not None, output
    return b32decode(parse_qs(urlsplit(found.group(0)).query)["secret"][0])


def test_the_command_prints_a_uri_whose_secret_verifies(staff: User) -> None:
    output = run("06 99 99 99 99")
    key = secret_of(output)
    device = TOTPDevice.objects.get(user=staff, confirmed=True)
    assert device.verify_token(f"{totp(key):06d}")
    found = URI.search(output)
    assert found is not None, output
    uri = unquote(found.group(0))
    assert uri.startswith("otpauth://totp/Vigilants:") and "issuer=Vigilants" in uri
    assert "699999999" not in uri  # the label is the account's name, not its phone number
    assert "\u2588" in output or "\u2580" in output  # the terminal QR code (Unicode blocks)


def test_the_command_keeps_the_secret_unless_reset(staff: User) -> None:
    first = secret_of(run("+33699999999", "--no-qr"))
    assert secret_of(run("+33699999999", "--no-qr")) == first
    replaced = secret_of(run("+33699999999", "--reset", "--no-qr"))
    assert replaced != first
    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert TOTPDevice.objects.get(user=staff).bin_key == replaced


def test_the_command_refuses_a_non_staff_account(saint_paul: Town) -> None:
    with pytest.raises(CommandError, match="Aucun compte de l'équipe"):
        run(str(saint_paul.mayor.phone))
    assert not TOTPDevice.objects.exists()


def test_the_current_code_is_printed_in_debug_only(settings, staff: User) -> None:
    device = staff_auth.enrol(staff)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        run("+33699999999", "--code")
    settings.DEBUG = True
    code = run("+33699999999", "--code").strip()
    assert re.fullmatch(r"\d{6}", code) and device.verify_token(code)


def test_the_demo_staff_gets_a_totp_secret_that_verifies(settings) -> None:
    settings.DEBUG = True
    CommuneFactory.create(insee="06128", name="Saint-Paul-de-Vence", departement="06")
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    staff = User.objects.get(phone="+33600000099")
    key = secret_of(out.getvalue())
    device = staff_auth.confirmed_device(staff)
    assert device is not None and device.verify_token(f"{totp(key):06d}")
    call_command("seed_demo", stdout=io.StringIO())  # idempotent: the same secret
    again = staff_auth.confirmed_device(staff)
    assert again is not None and again.bin_key == key


def test_sign_in_records_are_purged_after_their_retention(settings, saint_paul: Town) -> None:
    settings.AXES_RETENTION_DAYS = 30
    now = timezone.now()

    def aged(model: type[AccessLog] | type[AccessAttempt], age: timedelta, username: str) -> int:
        extra = {"failures_since_start": 1} if model is AccessAttempt else {}
        row = model.objects.create(username=username, ip_address="192.0.2.1", user_agent="x", **extra)
        model.objects.filter(pk=row.pk).update(attempt_time=now - age)  # attempt_time is auto_now_add
        return row.pk

    aged(AccessLog, timedelta(days=31), "+33611111111")
    recent_log = aged(AccessLog, timedelta(days=29), "+33611111111")
    aged(AccessAttempt, timedelta(minutes=20), "+33611111112")
    recent_attempt = aged(AccessAttempt, timedelta(minutes=5), "+33611111113")
    assert purge_sign_in_records() == 2
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_log]
    # The attempt within the 15-minute cool-off still counts towards a lockout: it stays.
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [recent_attempt]


def test_erasure_forgets_the_dashboard_sign_ins(saint_paul: Town) -> None:
    mayor = saint_paul.mayor
    Client().force_login(mayor)  # a dashboard sign-in: axes records it under the phone number
    assert AccessLog.objects.filter(username=str(mayor.phone)).exists()
    assert export_user(mayor)["sign_ins"][0]["signed_in_at"]
    erase_user(mayor)
    assert not AccessLog.objects.filter(username=str(mayor.phone)).exists()


def test_a_lockout_outside_the_sign_in_forms_answers_429_in_french(db: None) -> None:
    request = RequestFactory().post("/ailleurs/")
    request.session = SessionStore()
    answer = staff_auth.lockout_response(request, None, None)
    assert answer.status_code == 429
    assert "la connexion est bloquée pour 15 minutes" in answer.content.decode().replace("&#x27;", "'")
