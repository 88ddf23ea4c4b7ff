"""The service as its users meet it: gunicorn, a Celery worker and the fake provider, configured only
through the environment variables of the contract, driven over HTTP by a scripted phone-app client."""

import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from accounts.models import User
from communes.services import commune_enroll
from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, write_service_account
from notifications.models import SmsOptOut
from scripts.blackbox import run
from tests.factories import CommuneFactory

from .conftest import ROOT, start_worker, stop, wait_for_worker, wait_until, worker_env

pytestmark = pytest.mark.integration
PORT = 8731
MAYOR = "+33611111111"


@pytest.fixture
def service(transactional_db: None, tmp_path: Path) -> Iterator[tuple[str, FakeProvider]]:
    fake = FakeProvider(port=0)
    fake.start()
    api = f"http://127.0.0.1:{PORT}"
    env = {
        **worker_env(), "DEBUG": "false", "SECRET_KEY": "integration-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "127.0.0.1", "PUBLIC_BASE_URL": api, "SMS_BACKEND": "twilio", "PUSH_BACKEND": "fcm",
        "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": "Vigilants",
        "TWILIO_API_BASE_URL": fake.url, "FCM_API_BASE_URL": fake.url,
        "FIREBASE_CREDENTIALS": str(write_service_account(tmp_path / "sa.json", fake.url)),
    }  # fmt: skip
    commune_enroll(commune=CommuneFactory.create(insee="06128", name="Saint-Paul-de-Vence", departement="06"),
                   mayor=User.objects.create_user(MAYOR))  # fmt: skip
    gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "vigilants.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}"],
                                cwd=ROOT, env=env)  # fmt: skip
    worker = start_worker(env=env)
    try:
        wait_for_worker(time.monotonic() + 60)
        wait_until(lambda: _answers(api + "/healthz"), timeout=30)
        yield api, fake
    finally:
        for process in (gunicorn, worker):
            stop(process)
        fake.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


def _post_form(url: str, params: dict[str, str], signature: str) -> int:
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers={"X-Twilio-Signature": signature})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_phone_app_signs_up_reports_and_everyone_is_told_once(service: tuple[str, FakeProvider]) -> None:
    api, fake = service
    result = run(api, fake.url, MAYOR)
    report = result["report"]
    # Recipients: the mayor and two residents (the reporter is not told); two have a device.
    assert report["recipients"] == 3
    assert report["push"]["sent"] == 2 and report["pending"] == 0, report
    tokens = sorted(p["json"]["message"]["token"] for p in result["pushes"])
    assert tokens == ["token-1", "token-2"]
    # The mayor has no device: SMS instead, once, and Twilio's signed callback says delivered.
    alert_sms = [m for m in fake.sms() if "code de connexion" not in m["Body"]]
    assert [m["To"] for m in alert_sms] == [MAYOR]
    deliveries = f"/api/v1/alerts/{result['alert']['id']}/deliveries"
    wait_until(lambda: result["mayor"].call("GET", deliveries)[1]["sms"]["delivered"] == 1)


def test_forged_webhooks_change_nothing_and_stop_stops_sms(service: tuple[str, FakeProvider]) -> None:
    api, _fake = service
    url = api + "/api/v1/webhooks/twilio/inbound"
    params = {"From": MAYOR, "Body": "STOP", "MessageSid": "SM" + "0" * 32}
    assert _post_form(url, params, "forged") == 403
    assert not SmsOptOut.objects.exists()
    signature = RequestValidator(FAKE_AUTH_TOKEN).compute_signature(url, params)
    assert _post_form(url, params, signature) == 200
    assert SmsOptOut.objects.filter(phone=MAYOR).exists()
