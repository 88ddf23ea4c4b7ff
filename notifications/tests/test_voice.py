"""Voice calls end to end: the official SDK against the fake provider, whose simulated people answer, press 1,
are busy or do not answer, and whose signed callbacks reach this service (a live server)."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from twilio.request_validator import RequestValidator

from accounts.models import User
from communes.models import Commune
from fakeprovider import FAKE_AUTH_TOKEN, FakeProvider
from notifications import claims, planner, voice
from notifications.models import Channel, Delivery, DeliveryStatus, Landline
from notifications.tests.helpers import member, message
from providers import ratelimit
from providers.base import reset_backends
from providers.twilio_voice import CallRequest, get_voice_backend
from tests.factories import CommuneFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server: Any, twilio_settings: SettingsWrapper, fake_provider: FakeProvider) -> Iterator[FakeProvider]:
    """Calls through the SDK to the fake, whose callbacks come back to this service."""
    twilio_settings.VOICE_BACKEND = twilio_settings.VOICE_BACKENDS["twilio"]
    twilio_settings.PUBLIC_BASE_URL = live_server.url
    twilio_settings.ALLOWED_HOSTS = ["*"]
    twilio_settings.VOICE_RETRY_SECONDS = 0
    twilio_settings.VOICE_RETRIES = 2
    fake_provider.configure(callbacks=True, call_delay=0.02)
    ratelimit.reset()
    reset_backends()
    yield fake_provider
    reset_backends()


@pytest.fixture
def commune() -> Commune:
    commune: Commune = CommuneFactory.create(insee="06128", name="Saint-Paul-de-Vence", departement="06")
    return commune


def listener(commune: Commune, phone: str = "+33140000001") -> User:
    user: User = UserFactory.create(phone=phone, preferences={"channels": ["voice"], "categories": None,
                                                              "quiet_hours": None})  # fmt: skip
    MembershipFactory(commune=commune, user=user)
    return user


def call_row(commune: Commune, user: User, **fields: object) -> Delivery:
    msg = message(commune, channels=["push", "sms", "voice"], **fields)
    return Delivery.objects.create(message=msg, user=user, channel=Channel.VOICE)


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not reached in time")
        time.sleep(0.02)


def final(d: Delivery) -> Delivery:
    wait_until(lambda: Delivery.objects.get(pk=d.pk).status not in (DeliveryStatus.SENDING, DeliveryStatus.SENT))
    time.sleep(0.1)  # a late callback would show now
    return Delivery.objects.get(pk=d.pk)


def test_a_call_answered_and_confirmed_is_recorded_once(live: FakeProvider, commune: Commune) -> None:
    d = call_row(commune, listener(commune))

    assert voice.send_voice([d.pk]) == 1
    wait_until(lambda: Delivery.objects.filter(pk=d.pk).exclude(confirmed_at=None).exists())
    d = final(d)

    assert (d.status, d.provider_status, d.call_seconds) == (DeliveryStatus.DELIVERED, "completed", 42)
    [call] = live.calls()
    assert d.provider_id == call["sid"]
    assert call["form"]["To"] == "+33140000001"
    assert call["twiml"].count('<Say language="fr-FR">') == 4
    assert call["twiml"].count("Une maison visitée rue des Oliviers.") == 2  # said, then once more
    assert '<Gather action="' in call["twiml"] and 'numDigits="1"' in call["twiml"]
    assert "Appuyez sur 1" in call["twiml"]
    assert voice.voice_report(Delivery.objects.filter(pk=d.pk)) == {
        "sent": 1, "answered": 1, "confirmed": 1, "busy": 0, "no_answer": 0, "failed": 0, "pending": 0, "minutes": 1}
    assert voice.send_voice([d.pk]) == 0  # a second run of the task calls nobody
    assert len(live.calls()) == 1


def test_busy_then_retried_and_answered(live: FakeProvider, commune: Commune) -> None:
    d = call_row(commune, listener(commune, "+33140098481"))

    voice.send_voice([d.pk])  # busy: placed again after VOICE_RETRY_SECONDS (a countdown; tasks run eagerly here)
    wait_until(lambda: Delivery.objects.filter(pk=d.pk).exclude(confirmed_at=None).exists())
    d = final(d)

    assert [c["status"] for c in live.calls()] == ["busy", "completed"]
    assert (d.status, d.attempts, d.provider_id) == (DeliveryStatus.DELIVERED, 2, live.calls()[1]["sid"])


def test_no_answer_three_times_then_given_up(live: FakeProvider, commune: Commune) -> None:
    d = call_row(commune, listener(commune, "+33140098480"))

    voice.send_voice([d.pk])  # each no-answer is placed again (eager tasks) until VOICE_RETRIES are spent
    wait_until(lambda: Delivery.objects.get(pk=d.pk).status == DeliveryStatus.FAILED)
    d = final(d)
    voice.send_voice([d.pk])

    assert len(live.calls()) == 3  # the first call and VOICE_RETRIES more
    assert (d.status, d.error_code, d.confirmed_at) == (DeliveryStatus.FAILED, "no-answer", None)
    assert voice.voice_report(Delivery.objects.filter(pk=d.pk))["no_answer"] == 1


def test_answered_without_pressing_1_is_not_confirmed(live: FakeProvider, commune: Commune) -> None:
    d = final(_sent(call_row(commune, listener(commune, "+33140098200"))))

    assert (d.status, d.confirmed_at) == (DeliveryStatus.DELIVERED, None)
    report = voice.voice_report(Delivery.objects.filter(pk=d.pk))
    assert (report["answered"], report["confirmed"]) == (1, 0)


def _sent(d: Delivery) -> Delivery:
    voice.send_voice([d.pk])
    return d


def test_a_call_whose_worker_died_after_twilio_took_it_is_not_placed_again(live: FakeProvider,
                                                                           commune: Commune) -> None:  # fmt: skip
    live.configure(callbacks=False)  # the worker dies before any answer: nothing has told us about the call
    d = call_row(commune, listener(commune))
    _token, [claimed] = claims.claim_known([d], Channel.VOICE)
    request = CallRequest(key=d.key, to="+33140000001", twiml="<Response/>",
                                status_callback=voice.callback_url(voice.STATUS_PATH, claimed))  # fmt: skip
    get_voice_backend().place(request)  # and the worker is killed here, the SID never written
    Delivery.objects.filter(pk=d.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert claims.expire_stale_claims(timezone.now())["calls_to_check"] == 1
    assert voice.check_calls([d.pk]) == {"found": 1, "placed": 0}
    voice.send_voice([d.pk])

    d.refresh_from_db()
    assert (d.status, d.provider_id) == (DeliveryStatus.SENT, live.calls()[0]["sid"])
    assert len(live.calls()) == 1


def test_a_call_whose_worker_died_before_twilio_took_it_is_placed(live: FakeProvider, commune: Commune) -> None:
    d = call_row(commune, listener(commune))
    claims.claim_known([d], Channel.VOICE)  # claimed, then killed before calls.create
    Delivery.objects.filter(pk=d.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    claims.expire_stale_claims(timezone.now())

    assert voice.check_calls([d.pk]) == {"found": 0, "placed": 1}
    voice.send_voice([d.pk])
    wait_until(lambda: Delivery.objects.filter(pk=d.pk).exclude(confirmed_at=None).exists())

    assert len(live.calls()) == 1


def test_calls_go_to_the_landline_and_respect_quiet_hours_unless_urgent(live: FakeProvider, commune: Commune) -> None:
    now = timezone.localtime()
    quiet = {"start": (now - timedelta(hours=1)).strftime("%H:%M"), "end": (now + timedelta(hours=1)).strftime("%H:%M")}
    user = member(commune, channels=["voice"], device=False, quiet_hours=quiet)
    Landline.objects.create(user=user, phone="+33140000009", verified_at=timezone.now())
    calm, urgent = message(commune, channels=["push", "sms", "voice"]), message(commune, channels=["voice"], urgent=True)
    planner.plan(calm.pk)
    planner.plan(urgent.pk)

    held = Delivery.objects.get(message=calm, user=user)
    assert held.channel == Channel.VOICE and held.not_before is not None
    now_row = Delivery.objects.get(message=urgent, user=user)
    assert now_row.not_before is None
    voice.send_voice([held.pk, now_row.pk])
    assert [c["to"] for c in live.calls()] == ["+33140000009"]


def test_the_rate_holds_calls_per_second(live: FakeProvider, commune: Commune, settings: SettingsWrapper) -> None:
    settings.CALLS_PER_SECOND = 3
    live.configure(callbacks=False)
    rows = [call_row(commune, listener(commune, f"+3314000{i:04d}")) for i in range(9)]

    voice.send_voice([d.pk for d in rows])

    assert live.call_rate() == {"count": 9, "most_in_one_second": 3}


def sign(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(FAKE_AUTH_TOKEN).compute_signature(url, params))


def test_callbacks_are_signed_and_match_their_call(live: FakeProvider, commune: Commune, client: Any) -> None:
    d = call_row(commune, listener(commune))
    Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.SENT, attempts=2, provider_id="CA2")
    base = voice.STATUS_PATH

    def post(path: str, attempt: str, params: dict[str, str], signature: str | None = None) -> Any:
        url = f"{path}?d={d.pk}&a={attempt}"
        from django.conf import settings

        good = sign(settings.PUBLIC_BASE_URL + url, params)
        return client.post(url, params, HTTP_X_TWILIO_SIGNATURE=signature if signature is not None else good)

    assert post(base, "2", {"CallSid": "CA2", "CallStatus": "completed"}, signature="bad").status_code == 403
    assert post(base, "1", {"CallSid": "CA1", "CallStatus": "busy"}).status_code == 204  # the earlier call's
    assert Delivery.objects.get(pk=d.pk).status == DeliveryStatus.SENT
    assert post(voice.GATHER_PATH, "2", {"CallSid": "CA2", "Digits": "2"}).status_code == 200
    assert Delivery.objects.get(pk=d.pk).confirmed_at is None
    assert post(voice.GATHER_PATH, "2", {"CallSid": "CA2", "Digits": "1"}).status_code == 200
    assert Delivery.objects.get(pk=d.pk).confirmed_at is not None
    assert post(base, "2", {"CallSid": "CA2", "CallStatus": "completed", "CallDuration": "61"}).status_code == 204
    assert Delivery.objects.get(pk=d.pk).status == DeliveryStatus.DELIVERED
    assert voice.voice_report(Delivery.objects.filter(pk=d.pk))["minutes"] == 2
    assert post(base, "2", {"CallSid": "CA2", "CallStatus": "ringing"}).status_code == 204  # never backwards
    assert Delivery.objects.get(pk=d.pk).status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("query", ["", "?d=x&a=1", "?d=1&a=", f"?d={'9' * 40}&a=1"])
def test_bad_callback_input_is_never_a_500(live: FakeProvider, client: Any, query: str) -> None:
    from django.conf import settings

    for path in (voice.STATUS_PATH, voice.GATHER_PATH):
        params = {"CallSid": "CA1", "CallStatus": "completed", "Digits": "1", "CallDuration": "x"}
        answer = client.post(path + query, params, HTTP_X_TWILIO_SIGNATURE=sign(settings.PUBLIC_BASE_URL + path + query, params))
        assert answer.status_code in (200, 204)


def test_the_preview_counts_the_people_called_and_the_cost(commune: Commune, settings: SettingsWrapper) -> None:
    from decimal import Decimal

    from notifications.services import message_preview, message_report

    settings.CALL_MINUTE_PRICE_EUR = 0.15
    listener(commune)
    listener(commune, "+33140000002")
    member(commune, channels=["push"])  # not called: did not ask for calls
    draft = message(commune, channels=["push", "sms", "voice"])

    preview = message_preview(draft)

    assert (preview.calls, preview.call_minutes, preview.call_cost) == (2, 2, Decimal("0.30"))
    assert message_report(draft)["voice"]["pending"] == 0


def test_a_message_with_only_calls_left_is_not_done(commune: Commune) -> None:
    """Every report counts calls still to go as pending (MessageFigures, which the desk's live report reads too),
    not only the voice table: nothing says "done" while landlines are still being called."""
    from notifications.models import MessageStatus
    from notifications.services import message_figures, message_report

    msg = message(commune, status=MessageStatus.PLANNED, channels=["push", "voice"])
    pushed, called = member(commune), member(commune, device=False)
    Delivery.objects.create(message=msg, user=pushed, channel=Channel.PUSH, status=DeliveryStatus.SENT)
    Delivery.objects.create(message=msg, user=called, channel=Channel.VOICE, status=DeliveryStatus.PENDING)
    assert message_figures(msg).pending == 1 and message_figures(msg).voice.pending == 1
    assert message_report(msg)["pending"] == 1
    Delivery.objects.filter(channel=Channel.VOICE).update(status=DeliveryStatus.DELIVERED)
    assert message_report(msg)["pending"] == 0 and message_figures(msg).pending == 0
