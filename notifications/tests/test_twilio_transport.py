"""The Twilio backend, through the official SDK, against the fake provider: what goes on the wire."""

import base64
import socket
import threading
import urllib.parse

import pytest
from twilio.request_validator import RequestValidator

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN
from notifications import planner, sender
from notifications.models import Delivery
from providers.base import Outcome, SendResult, SmsMessage, get_sms_backend
from providers.checks import check_providers
from providers.twilio_sms import TwilioSmsBackend
from tests.provider_fixtures import PUBLIC_BASE_URL, TWILIO_FROM

from .helpers import member, message

MESSAGES_PATH = f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"


def send(*messages: SmsMessage) -> list[SendResult]:
    return get_sms_backend().send_batch(messages)


def test_it_posts_one_form_per_sms_with_basic_auth(twilio_settings, fake_provider):
    results = send(SmsMessage("d-1", "+33612345678", "Alerte cambriolage"), SmsMessage("d-2", "+33612345679", "Bonjour"))

    assert [r.path for r in fake_provider.requests] == [MESSAGES_PATH, MESSAGES_PATH]
    assert fake_provider.sms() == [
        {"To": "+33612345678", "From": TWILIO_FROM, "Body": "Alerte cambriolage",
         "StatusCallback": f"{PUBLIC_BASE_URL}/api/v1/webhooks/twilio/status?d=d-1"},
        {"To": "+33612345679", "From": TWILIO_FROM, "Body": "Bonjour",
         "StatusCallback": f"{PUBLIC_BASE_URL}/api/v1/webhooks/twilio/status?d=d-2"},
    ]
    expected_auth = base64.b64encode(f"{FAKE_ACCOUNT_SID}:{FAKE_AUTH_TOKEN}".encode()).decode()
    assert fake_provider.requests[0].headers["authorization"] == f"Basic {expected_auth}"
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT]
    assert [r.key for r in results] == ["d-1", "d-2"]
    assert all(r.provider_id.startswith("SM") and len(r.provider_id) == 34 for r in results)
    assert results[0].segments == 1


def test_it_reuses_one_connection(twilio_settings, fake_provider):
    send(SmsMessage("d-0", "+33612345678", "x"))  # the connection a backend keeps from its first SMS
    opened = fake_provider.connections
    send(*[SmsMessage(f"d-{i}", "+33612345678", "x") for i in range(1, 4)])

    assert len(fake_provider.requests) == 4
    assert fake_provider.connections == opened  # three more SMS, no new connection


def test_it_uses_the_messaging_service_and_validity_period(twilio_settings, fake_provider):
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32

    send(SmsMessage("d-1", "+33612345678", "Alerte", validity_seconds=3600))

    form = fake_provider.sms()[0]
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in form
    assert form["ValidityPeriod"] == "3600"


def test_it_records_the_number_of_segments(twilio_settings, fake_provider):
    (result,) = send(SmsMessage("d-1", "+33612345678", "a" * 161))

    assert result.segments == 2


@pytest.mark.parametrize(
    ("to", "code", "deactivate"),
    [
        ("+33600099211", "21211", False),
        ("+15005550001", "21211", False),
        ("+33600099614", "21614", False),
        ("+33600099610", "21610", True),
        ("+15005550004", "21610", True),
    ],
)
def test_it_classifies_recipient_errors_as_permanent(twilio_settings, fake_provider, to, code, deactivate):
    (result,) = send(SmsMessage("d-1", to, "x"))

    assert result.outcome == Outcome.PERMANENT
    assert result.error_code == code
    assert result.deactivate_recipient is deactivate


def test_it_retries_later_on_429_honouring_retry_after(twilio_settings, fake_provider):
    fake_provider.fail(429, service="twilio", count=1, retry_after=7)

    first, second = send(SmsMessage("d-1", "+33612345678", "x"), SmsMessage("d-2", "+33612345678", "x"))

    assert (first.outcome, first.error_code, first.retry_after) == (Outcome.TRANSIENT, "20429", 7.0)
    assert second.outcome == Outcome.SENT


def test_it_retries_later_on_a_rate_limited_number(twilio_settings, fake_provider):
    (result,) = send(SmsMessage("d-1", "+33600099429", "x"))

    assert (result.outcome, result.error_code, result.retry_after) == (Outcome.TRANSIENT, "20429", 1.0)


@pytest.mark.parametrize("to", ["+33600099500"])
def test_it_retries_later_on_server_errors(twilio_settings, fake_provider, to):
    fake_provider.fail(503, service="twilio", count=1, retry_after=3)

    injected, by_number = send(SmsMessage("d-1", "+33612345678", "x"), SmsMessage("d-2", to, "x"))

    assert (injected.outcome, injected.error_code, injected.retry_after) == (Outcome.TRANSIENT, "20503", 3.0)
    assert (by_number.outcome, by_number.error_code) == (Outcome.TRANSIENT, "20500")
    assert by_number.retry_after is not None


def test_it_reports_a_read_timeout_as_unknown_never_resent(twilio_settings, fake_provider):
    twilio_settings.TWILIO_TIMEOUT_SECONDS = 0.2
    fake_provider.configure(slow_seconds=1.0)

    (result,) = send(SmsMessage("d-1", "+33600099408", "x"))

    assert (result.outcome, result.error_code) == (Outcome.UNKNOWN, "network")
    assert len(fake_provider.sms()) == 1  # it did reach the provider, exactly once


def test_it_reports_a_refused_connection_as_transient(twilio_settings, fake_provider):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        twilio_settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{sock.getsockname()[1]}"
    backend = TwilioSmsBackend()

    (result,) = backend.send_batch([SmsMessage("d-1", "+33612345678", "x")])

    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "network")
    assert result.retry_after is not None


def test_it_keeps_messages_when_the_credentials_are_wrong(twilio_settings, fake_provider):
    twilio_settings.TWILIO_AUTH_TOKEN = "wrong"

    (result,) = TwilioSmsBackend().send_batch([SmsMessage("d-1", "+33612345678", "x")])

    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "20003")


def test_it_gets_signed_status_callbacks(callback_receiver, fake_provider):
    send(SmsMessage("d-42", "+33612345678", "x"))

    received = callback_receiver.wait_for(2)
    assert [form["MessageStatus"] for _, form, _ in received] == ["sent", "delivered"]
    path, form, headers = received[1]
    assert path == "/api/v1/webhooks/twilio/status?d=d-42"
    assert form["To"] == "+33612345678"
    assert form["AccountSid"] == FAKE_ACCOUNT_SID
    assert form["MessageSid"] == fake_provider.callbacks[0].params["MessageSid"]
    url = callback_receiver.url + path
    assert RequestValidator(FAKE_AUTH_TOKEN).validate(url, form, headers["X-Twilio-Signature"])
    assert not RequestValidator("another-token").validate(url, form, headers["X-Twilio-Signature"])


@pytest.mark.parametrize(("to", "status", "code"), [("+33600099303", "undelivered", "30003"),
                                                    ("+33600099305", "failed", "30005")])
def test_it_gets_failure_callbacks_for_failing_numbers(callback_receiver, fake_provider, to, status, code):
    (result,) = send(SmsMessage("d-1", to, "x"))

    received = callback_receiver.wait_for(2)
    assert result.outcome == Outcome.SENT
    assert [(f["MessageStatus"], f.get("ErrorCode")) for _, f, _ in received] == [("sent", None), (status, code)]


def test_it_gets_no_callbacks_when_they_are_switched_off(callback_receiver, fake_provider):
    fake_provider.configure(callbacks=False)

    send(SmsMessage("d-1", "+33612345678", "x"))

    assert callback_receiver.wait_for(1, timeout=0.3) == []


def test_it_carries_the_delivery_key_url_encoded(twilio_settings, fake_provider):
    send(SmsMessage("a b&c", "+33612345678", "x"))

    query = urllib.parse.urlsplit(fake_provider.sms()[0]["StatusCallback"]).query
    assert urllib.parse.parse_qs(query) == {"d": ["a b&c"]}


def test_it_reports_missing_twilio_settings_at_start_up(twilio_settings):
    twilio_settings.TWILIO_AUTH_TOKEN = ""
    twilio_settings.TWILIO_FROM = ""

    assert {e.id for e in check_providers()} == {"providers.E001", "providers.E002"}


def test_it_accepts_a_messaging_service_instead_of_a_sender(twilio_settings):
    twilio_settings.TWILIO_FROM = ""
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32

    assert check_providers() == []


def test_it_goes_through_the_proxy_the_environment_names(twilio_settings, fake_provider, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there

    result = TwilioSmsBackend().send(SmsMessage("d-1", "+33612345678", "Alerte"))

    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "network")
    assert fake_provider.requests == []


@pytest.mark.django_db
def test_the_provider_never_gets_more_sms_in_a_second_than_the_rate(twilio_settings, fake_provider, saint_paul):
    """Seen from the provider, in any second (not only whole ones): a call sent slowly (here the first,
    while the provider is slow) followed by a quick one must not add up to more than the rate."""
    twilio_settings.SMS_MAX_PER_SECOND = 10
    for _ in range(30):
        member(saint_paul.commune, channels=["sms"], device=False)
    msg = message(saint_paul.commune, urgent=True)
    planner.plan(msg.pk)
    ids = list(Delivery.objects.filter(message=msg, channel="sms").order_by("pk").values_list("pk", flat=True))
    fake_provider.configure(latency=0.09)  # the first call of 10 takes about 0.9 s
    threading.Timer(0.8, lambda: fake_provider.configure(latency=0.0)).start()
    assert len(ids) >= 30  # and the town's own members without a device
    # Held back, not starved: a rate that starved the call would leave rows for the next one.
    assert sender.send_sms(ids) == len(ids)
    assert fake_provider.sms_rate() == {"count": len(ids), "most_in_one_second": 10}


def test_it_finds_in_twilios_record_an_sms_whose_answer_was_lost(twilio_settings, fake_provider):
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now()
    (sent,) = send(SmsMessage(key="7", to="+33612345678", body="Alerte : rue des Oliviers"))
    send(SmsMessage(key="8", to="+33612345678", body="Autre alerte"))
    backend = TwilioSmsBackend()
    asked = SmsMessage(key="7", to="+33612345678", body="Alerte : rue des Oliviers")
    assert backend.find_sent(asked, since) == [sent.provider_id]  # through the SDK's Messages list
    assert backend.find_sent(SmsMessage(key="9", to="+33699999990", body=asked.body), since) == []
    assert backend.find_sent(asked, since + timedelta(hours=1)) == []  # sent before what we ask about


def test_it_says_when_twilio_cannot_be_asked(twilio_settings, fake_provider):
    from django.utils import timezone

    from providers.base import LookupUnavailable

    twilio_settings.TWILIO_AUTH_TOKEN = "wrong-token"
    with pytest.raises(LookupUnavailable):
        TwilioSmsBackend().find_sent(SmsMessage(key="1", to="+33612345678", body="x"), timezone.now())
