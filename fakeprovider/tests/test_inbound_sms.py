"""The fake texts the service: `POST /_inbound_sms` posts Twilio's signed inbound SMS webhook to the service's
URL (a live server here), and answers with what the service's TwiML would have Twilio text back."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from alerts.models import Alert, AlertStatus
from conftest import Town
from fakeprovider import FAKE_AUTH_TOKEN, FakeProvider

INBOUND = "/api/v1/webhooks/twilio/inbound"
RECEIVED = "Signalement reçu : il sera vérifié par la mairie avant diffusion."


@pytest.fixture
def inbound(live_server: LiveServer, settings: SettingsWrapper, transactional_db: None) -> Iterator[FakeProvider]:
    """A fake whose number's inbound webhook is the live service's; the service checks the fake's signatures."""
    settings.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN
    settings.PUBLIC_BASE_URL = live_server.url
    fake = FakeProvider(port=0, inbound_url=live_server.url + INBOUND)
    fake.start()
    yield fake
    fake.stop()


def text(fake: FakeProvider, payload: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(fake.url + "/_inbound_sms", data=json.dumps(payload).encode(),  # noqa: S310
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_member_texts_a_report_in_and_gets_the_confirmation_back(inbound: FakeProvider, saint_paul: Town) -> None:
    status, answer = text(inbound, {"from": str(saint_paul.resident.phone),
                                    "body": "Cambriolage rue des Oliviers, porte fracturée"})  # fmt: skip
    assert status == 200
    assert answer["status"] == 200 and answer["sid"].startswith("SM")
    assert len(answer["replies"]) == 1 and RECEIVED in answer["replies"][0]
    alert = Alert.objects.get()
    assert (alert.reporter, alert.status, alert.category) == (saint_paul.resident, AlertStatus.PENDING, "cambriolage")
    # What was posted is Twilio's inbound webhook, recorded with the callbacks.
    (posted,) = inbound.callbacks
    assert posted.url.endswith(INBOUND) and posted.signature
    assert posted.params["Body"] == "Cambriolage rue des Oliviers, porte fracturée"
    assert posted.params["To"] == inbound.inbound_number and posted.params["AccountSid"] == inbound.account_sid


def test_the_same_text_twice_is_two_messages_and_stop_is_answered(inbound: FakeProvider, saint_paul: Town) -> None:
    phone = str(saint_paul.resident2.phone)
    first = text(inbound, {"from": phone, "body": "STOP"})[1]
    second = text(inbound, {"from": phone, "body": "START"})[1]
    assert first["sid"] != second["sid"]
    assert "vous ne recevrez plus" in first["replies"][0]
    assert "à nouveau" in second["replies"][0]


def test_a_fake_with_another_token_is_refused(live_server: LiveServer, settings: SettingsWrapper,
                                              saint_paul: Town, transactional_db: None) -> None:  # fmt: skip
    settings.TWILIO_AUTH_TOKEN = "the-real-token"
    settings.PUBLIC_BASE_URL = live_server.url
    fake = FakeProvider(port=0, auth_token="another-token")
    fake.start()
    try:
        phone = str(saint_paul.resident.phone)
        status, answer = text(fake, {"from": phone, "body": "Cambriolage", "url": live_server.url + INBOUND})
        assert status == 200 and answer["status"] == 403 and answer["replies"] == []
        assert not Alert.objects.exists()
        # Without a webhook to post to, the control endpoint says so.
        status, answer = text(fake, {"from": phone, "body": "x"})
        assert status == 400 and "inbound_url" in answer["error"]
    finally:
        fake.stop()
