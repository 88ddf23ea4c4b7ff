"""Twilio's webhooks: signatures, forward-only statuses, STOP / ARRÊT / START with a TwiML answer, other texts
handed to the registered handlers."""

import uuid
from typing import Any

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from conftest import Town
from notifications import inbound
from notifications.composer import sms_text
from notifications.inbound import InboundHandler, InboundReply, InboundText
from notifications.models import Delivery, DeliveryStatus, SmsOptOut

from .helpers import message

TOKEN = "twilio-test-auth-token"
BASE = "https://vigilants.example.fr"
STATUS = "/api/v1/webhooks/twilio/status"
INBOUND = "/api/v1/webhooks/twilio/inbound"


@pytest.fixture(autouse=True)
def _twilio(settings: object) -> None:
    settings.TWILIO_AUTH_TOKEN = TOKEN  # type: ignore[attr-defined]
    settings.PUBLIC_BASE_URL = BASE  # type: ignore[attr-defined]


def post(path: str, params: dict[str, str], signature: str | None = "good") -> Any:
    if path.startswith(INBOUND):
        params = {"MessageSid": f"SM{uuid.uuid4().hex}", **params}  # each SMS its own SID, as Twilio's
    if signature == "good":
        signature = RequestValidator(TOKEN).compute_signature(BASE + path, params)
    headers: dict[str, Any] = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature is not None else {}
    return Client().post(path, params, **headers)


@pytest.fixture
def delivery(saint_paul: Town) -> Delivery:
    return Delivery.objects.create(
        message=message(saint_paul.commune), user=saint_paul.resident, channel="sms", status="sent",
        provider_id="SM0001", provider_status="queued",
    )  # fmt: skip


def callback(d: Delivery, status: str, **extra: str) -> Any:
    return post(f"{STATUS}?d={d.pk}", {"MessageSid": "SM0001", "MessageStatus": status, **extra})


def test_it_records_a_signed_status_callback(delivery: Delivery) -> None:
    assert callback(delivery, "delivered").status_code == 204
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_status) == (DeliveryStatus.DELIVERED, "delivered")
    assert delivery.finished_at is not None


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_it_refuses_a_bad_or_missing_signature_and_changes_nothing(delivery: Delivery, signature: str | None) -> None:
    response = post(f"{STATUS}?d={delivery.pk}", {"MessageSid": "SM0001", "MessageStatus": "failed"}, signature)
    assert response.status_code == 403
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_status) == (DeliveryStatus.SENT, "queued")


def test_it_refuses_a_signature_over_other_parameters(delivery: Delivery) -> None:
    signature = RequestValidator(TOKEN).compute_signature(f"{BASE}{STATUS}?d={delivery.pk}", {"MessageStatus": "sent"})
    response = post(f"{STATUS}?d={delivery.pk}", {"MessageSid": "SM0001", "MessageStatus": "failed"}, signature)
    assert response.status_code == 403


def test_it_refuses_everything_without_an_auth_token(delivery: Delivery, settings: object) -> None:
    settings.TWILIO_AUTH_TOKEN = ""  # type: ignore[attr-defined]
    assert callback(delivery, "delivered").status_code == 403


def test_it_only_moves_a_status_forward(delivery: Delivery) -> None:
    callback(delivery, "sent")
    callback(delivery, "delivered")
    callback(delivery, "sent")  # late and out of order
    callback(delivery, "failed")  # delivered is final
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_status) == (DeliveryStatus.DELIVERED, "delivered")


def test_it_takes_repeated_callbacks_harmlessly(delivery: Delivery) -> None:
    for _ in range(3):
        assert callback(delivery, "undelivered", ErrorCode="30003").status_code == 204
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error_code) == (DeliveryStatus.FAILED, "30003")


def test_it_reconciles_an_unknown_send_by_its_key(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.UNKNOWN, provider_id="", provider_status="")
    callback(delivery, "sent")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_id) == (DeliveryStatus.SENT, "SM0001")


def test_it_finds_the_delivery_by_provider_id_without_a_key(delivery: Delivery) -> None:
    post(STATUS, {"MessageSid": "SM0001", "MessageStatus": "delivered"})
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED


def test_it_answers_with_and_without_trailing_slash(delivery: Delivery) -> None:
    assert post(STATUS + "/", {"MessageSid": "SM0001", "MessageStatus": "sent"}).status_code == 204


def test_it_opts_out_when_the_callback_says_21610(delivery: Delivery, saint_paul: Town) -> None:
    callback(delivery, "failed", ErrorCode="21610")
    assert SmsOptOut.objects.filter(phone=str(saint_paul.resident.phone)).exists()


@pytest.mark.parametrize("body", ["STOP", "stop", " Arrêt ", "ARRET", "arrêt !", "StopAll", "UNSUBSCRIBE", "cancel",
                                  "End", "QUIT"])  # fmt: skip
def test_it_opts_a_number_out_on_stop_words(db: None, body: str) -> None:
    response = post(INBOUND, {"From": "+33612345678", "To": "+33700000001", "Body": body})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    text = response.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "vous ne recevrez plus d&apos;alertes par SMS" in text or "vous ne recevrez plus d'alertes par SMS" in text
    assert SmsOptOut.objects.filter(phone="+33612345678").exists()


@pytest.mark.parametrize("body", ["START", "unstop", "Oui"])
def test_it_opts_a_number_back_in_on_start(db: None, body: str) -> None:
    SmsOptOut.objects.create(phone="+33612345678")
    response = post(INBOUND, {"From": "+33612345678", "Body": body})
    assert "vous recevrez à nouveau les alertes par SMS" in response.content.decode()
    assert not SmsOptOut.objects.exists()


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[str, InboundHandler]:
    """The inbound handlers, emptied for the test (alerts registers its own at start-up)."""
    registered: dict[str, InboundHandler] = {}
    monkeypatch.setattr(inbound, "_handlers", registered)
    return registered


def test_it_answers_an_empty_response_to_other_messages_nobody_handles(db: None, handlers: object) -> None:
    response = post(INBOUND, {"From": "+33612345678", "Body": "Merci pour l'alerte, STOP aux voleurs"})
    assert response.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert not SmsOptOut.objects.exists()


def test_it_hands_other_messages_to_the_registered_handlers(db: None, handlers: dict[str, InboundHandler]) -> None:
    seen: list[InboundText] = []

    def echo(text: InboundText) -> InboundReply:
        seen.append(text)
        return InboundReply(text="Bien reçu", outcome="echo")

    inbound.register_inbound_handler("skips", lambda text: None)
    inbound.register_inbound_handler("echo", echo)
    response = post(INBOUND, {"From": "06 12 34 56 78", "Body": " Oui ! "})
    assert response.content.decode().endswith("<Response><Message>Bien reçu</Message></Response>")
    assert seen == [InboundText(phone="+33612345678", body=" Oui ! ", word="oui")]
    post(INBOUND, {"From": "+33612345678", "Body": "STOP"})
    assert len(seen) == 1  # STOP never reaches them
    post(INBOUND, {"From": "Vigilants-" + "9" * 40, "Body": "Bonjour"})
    assert len(seen) == 1  # nor a sender that is not a number


def test_a_failing_handler_is_no_500_and_the_sender_is_asked_to_write_again(
    db: None, handlers: dict[str, InboundHandler], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: InboundText) -> InboundReply:
        raise RuntimeError(f"failed on {text.body} from {text.phone}")

    inbound.register_inbound_handler("broken", broken)
    response = post(INBOUND, {"From": "+33612345678", "Body": "Cambriolage rue des Oliviers"})
    assert response.status_code == 200
    assert "votre message n'a pas été traité" in response.content.decode().replace("&apos;", "'")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "RuntimeError" in logged and "Oliviers" not in logged and "612345678" not in logged


def test_it_refuses_an_unsigned_stop(db: None) -> None:
    assert post(INBOUND, {"From": "+33612345678", "Body": "STOP"}, signature=None).status_code == 403
    assert not SmsOptOut.objects.exists()


def test_a_replayed_start_does_not_undo_a_later_stop(db: None) -> None:
    start = {"MessageSid": "SM" + "a" * 32, "From": "+33612345678", "Body": "START"}
    post(INBOUND, start)
    post(INBOUND, {"From": "+33612345678", "Body": "STOP"})
    replay = post(INBOUND, start)
    assert replay.status_code == 200
    assert replay.content.decode() == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert SmsOptOut.objects.filter(phone="+33612345678").exists()


def test_an_inbound_sms_without_a_sid_changes_nothing(db: None) -> None:
    params = {"From": "+33612345678", "Body": "STOP"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + INBOUND, params)
    Client().post(INBOUND, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert not SmsOptOut.objects.exists()


@pytest.mark.parametrize("sender", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"])
def test_the_sender_is_stored_in_e164_as_sms_are_sent(db: None, sender: str) -> None:
    post(INBOUND, {"From": sender, "Body": "STOP"})
    assert list(SmsOptOut.objects.values_list("phone", flat=True)) == ["+33612345678"]


def test_a_sender_that_is_not_a_number_is_not_stored(db: None) -> None:
    post(INBOUND, {"From": "Vigilants-" + "9" * 40, "Body": "STOP"})
    assert not SmsOptOut.objects.exists()


def test_the_texts_name_the_service_as_the_deployment_brands_it(saint_paul: Town, settings: Any) -> None:
    settings.BRAND_NAME = "Voisins de Vence"
    response = post(INBOUND, {"From": "+33612345678", "Body": "STOP"})
    assert "Voisins de Vence : vous ne recevrez plus d'alertes par SMS." in response.content.decode()
    alert_sms = sms_text(message(saint_paul.commune, urgent=True))
    assert alert_sms.startswith("URGENT Voisins de Vence Saint-Paul-de-Vence : ")
    assert "Vigilants" not in response.content.decode() + alert_sms
