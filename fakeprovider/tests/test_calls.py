"""The fake's Calls API through the official SDK: the simulated people chosen by number, signed callbacks."""

import time
from collections.abc import Iterator

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, call_behaviour
from providers.twilio_sms import RoutedHttpClient
from tests.provider_fixtures import CallbackReceiver

TWIML = ('<?xml version="1.0" encoding="UTF-8"?><Response><Gather numDigits="1" action="{action}">'
         '<Say language="fr-FR">Alerte</Say></Gather></Response>')  # fmt: skip
EVENTS = ["initiated", "ringing", "answered", "completed"]


@pytest.fixture
def receiver(fake_provider: FakeProvider) -> Iterator[CallbackReceiver]:
    fake_provider.configure(callbacks=True, call_delay=0.01)
    receiver = CallbackReceiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def client(fake: FakeProvider) -> Client:
    return Client(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, http_client=RoutedHttpClient(fake.url, 5))


def place(fake: FakeProvider, receiver: CallbackReceiver, to: str, **extra: object) -> str:
    call = client(fake).calls.create(
        to=to, from_="+33100000001", twiml=TWIML.format(action=f"{receiver.url}/gather"),
        status_callback=f"{receiver.url}/status?d=7", status_callback_event=EVENTS, **extra,
    )  # fmt: skip
    assert call.status == "queued"
    assert call.sid.startswith("CA")
    return str(call.sid)


def wait_final(fake: FakeProvider, sid: str) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        call = next(c for c in fake.calls() if c["sid"] == sid)
        if call["status"] in {"completed", "busy", "no-answer", "failed"} and call["duration"] is not None:
            time.sleep(0.05)
            return next(c for c in fake.calls() if c["sid"] == sid)
        time.sleep(0.01)
    raise AssertionError("the call never ended")


def statuses(receiver: CallbackReceiver, path: str = "/status") -> list[str]:
    return [form["CallStatus"] for url, form, _ in receiver.received if url.startswith(path)]


def test_a_person_answers_and_presses_1(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    sid = place(fake_provider, receiver, "+33140000001")
    call = wait_final(fake_provider, sid)

    assert call["status"] == "completed"
    assert call["digits"] == "1"
    assert statuses(receiver) == ["initiated", "ringing", "in-progress", "completed"]
    gathers = [form for url, form, _ in receiver.received if url == "/gather"]
    assert [g["Digits"] for g in gathers] == ["1"]
    assert gathers[0]["CallSid"] == sid
    completed = next(form for url, form, _ in receiver.received if form.get("CallStatus") == "completed")
    assert int(completed["CallDuration"]) > 0


def test_every_request_is_signed_as_twilio_signs(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    place(fake_provider, receiver, "+33140000001")
    receiver.wait_for(5)
    validator = RequestValidator(FAKE_AUTH_TOKEN)

    assert len(receiver.received) == 5
    for path, form, headers in receiver.received:
        assert validator.validate(receiver.url + path, form, headers["X-Twilio-Signature"])


@pytest.mark.parametrize(("to", "final", "callbacks"), [
    ("+33140098486", "busy", ["initiated", "ringing", "busy"]),
    ("+33140098480", "no-answer", ["initiated", "ringing", "no-answer"]),
    ("+33140098500", "failed", ["initiated", "failed"]),
    ("+33140098200", "completed", ["initiated", "ringing", "in-progress", "completed"]),
])  # fmt: skip
def test_the_number_chooses_the_person(fake_provider: FakeProvider, receiver: CallbackReceiver, to: str, final: str,
                                        callbacks: list[str]) -> None:  # fmt: skip
    call = wait_final(fake_provider, place(fake_provider, receiver, to))

    assert call["status"] == final
    assert call["digits"] == ""
    assert statuses(receiver) == callbacks


def test_busy_once_answers_the_second_call(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    first = wait_final(fake_provider, place(fake_provider, receiver, "+33140098481"))
    second = wait_final(fake_provider, place(fake_provider, receiver, "+33140098481"))

    assert (first["status"], second["status"], second["digits"]) == ("busy", "completed", "1")


def test_only_the_events_asked_for_are_called_back(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    sid = client(fake_provider).calls.create(to="+33140000001", from_="+33100000001", twiml="<Response/>",
                                             status_callback=f"{receiver.url}/status").sid  # fmt: skip
    wait_final(fake_provider, str(sid))

    assert statuses(receiver) == ["completed"]


def test_the_twiml_is_fetched_from_the_url_signed(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    sid = client(fake_provider).calls.create(to="+33140000001", from_="+33100000001", url=f"{receiver.url}/twiml?d=3").sid
    wait_final(fake_provider, str(sid))

    fetched = [(path, form) for path, form, _ in receiver.received if path.startswith("/twiml")]
    assert fetched == [("/twiml?d=3", fetched[0][1])]
    assert fetched[0][1]["CallStatus"] == "in-progress"


def test_calls_are_listed_and_fetched_back(fake_provider: FakeProvider, receiver: CallbackReceiver) -> None:
    sid = place(fake_provider, receiver, "+33140098486")
    wait_final(fake_provider, sid)
    place(fake_provider, receiver, "+33140000002")

    listed = client(fake_provider).calls.list(to="+33140098486")
    assert [c.sid for c in listed] == [sid]
    assert listed[0].status == "busy"
    assert client(fake_provider).calls(sid).fetch().to == "+33140098486"


def test_it_refuses_bad_credentials_and_missing_parameters(fake_provider: FakeProvider) -> None:
    bad = Client(FAKE_ACCOUNT_SID, "wrong", http_client=RoutedHttpClient(fake_provider.url, 5))
    with pytest.raises(TwilioRestException) as refused:
        bad.calls.create(to="+33140000001", from_="+33100000001", twiml="<Response/>")
    assert refused.value.status == 401
    with pytest.raises(TwilioRestException) as invalid:
        client(fake_provider).calls.create(to="+33140098211", from_="+33100000001", twiml="<Response/>")
    assert invalid.value.code == 21211
    assert fake_provider.call_rate()["count"] == 0


def test_call_behaviour_convention() -> None:
    assert [call_behaviour(n) for n in ("+33140000001", "+33140098486", "+33140098481", "+33140098999")] == [
        "confirm", "busy", "busy_once", "confirm"]  # fmt: skip
