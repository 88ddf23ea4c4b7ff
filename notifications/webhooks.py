"""Twilio's webhooks: delivery status callbacks and incoming SMS (STOP / START here; any other text to the
handlers apps register in notifications/inbound.py). Signed, or 403.

Plain Django views (Twilio signs with the auth token; there is no user session or API token).
"""

import logging
import re
import unicodedata
from typing import Any
from xml.etree import ElementTree

import phonenumbers
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from .composer import branded
from .inbound import InboundText, handle_inbound
from .models import Channel, Delivery, DeliveryStatus, InboundSms, SmsOptOut

log = logging.getLogger(__name__)

# Twilio's statuses in the order they happen; the last three are final.
_RANK = {"accepted": 0, "queued": 0, "scheduled": 0, "sending": 1, "sent": 2, "delivered": 3,
         "undelivered": 4, "failed": 4}  # fmt: skip
_FINAL = {"delivered", "undelivered", "failed"}
STOP_WORDS = {"stop", "arret", "stopall", "unsubscribe", "cancel", "end", "quit"}
START_WORDS = {"start", "unstop", "oui"}
OPTED_OUT_CODE = "21610"


def signed(request: HttpRequest) -> bool:
    """Twilio's signature over the public URL (we may sit behind a proxy) and every POST parameter."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    url = settings.PUBLIC_BASE_URL + request.get_full_path()
    valid: bool = RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST, signature)
    return valid


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not signed(request):
        log.warning("webhooks: Twilio status callback with a bad or missing signature refused")
        return HttpResponseForbidden()
    status = request.POST.get("MessageStatus", "").lower()
    if status in _RANK:
        record_status(request.GET.get("d", ""), request.POST.get("MessageSid", ""), status,
                      request.POST.get("ErrorCode", ""))  # fmt: skip
    # Always 204 once signed: an unknown or stale callback must not make Twilio retry forever.
    return HttpResponse(status=204)


def record_status(key: str, sid: str, status: str, error_code: str = "") -> bool:
    """Move the delivery forward to `status`; an older or repeated status changes nothing."""
    delivery = _find(key, sid)
    if delivery is None:
        return False
    earlier = [s for s, rank in _RANK.items() if rank < _RANK[status] and s not in _FINAL] + [""]
    changes = {"provider_status": status, **_delivery_fields(status, error_code)}
    if sid and not delivery.provider_id:
        changes["provider_id"] = sid[:64]
    moved = Delivery.objects.filter(pk=delivery.pk, provider_status__in=earlier).exclude(
        status=DeliveryStatus.CANCELLED
    ).update(**changes)
    if moved and error_code == OPTED_OUT_CODE:
        _opt_out(delivery)
    return bool(moved)


def _find(key: str, sid: str) -> Delivery | None:
    """By the key we put in the callback URL (checked against the SID when we know it), else by SID."""
    query = Q(pk=int(key), channel=Channel.SMS) if key.isdigit() else Q(provider_id=sid, channel=Channel.SMS)
    delivery = Delivery.objects.filter(query).first() if (key.isdigit() or sid) else None
    if delivery and sid and delivery.provider_id and delivery.provider_id != sid:
        return None
    return delivery


def _delivery_fields(status: str, error_code: str) -> dict[str, Any]:
    now = timezone.now()
    # A callback also settles a send whose outcome we did not know (worker died, timeout).
    released = {"claim_token": None, "lease_until": None}
    if status == "delivered":
        return {"status": DeliveryStatus.DELIVERED, "finished_at": now, **released}
    if status in _FINAL:
        return {"status": DeliveryStatus.FAILED, "error_code": error_code[:40] or status, "finished_at": now,
                **released}  # fmt: skip
    return {"status": DeliveryStatus.SENT, **released}


def _opt_out(delivery: Delivery) -> None:
    phone = Delivery.objects.filter(pk=delivery.pk).values_list("user__phone", flat=True).first()
    if phone:
        SmsOptOut.objects.get_or_create(phone=str(phone))


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not signed(request):
        log.warning("webhooks: Twilio inbound SMS with a bad or missing signature refused")
        return HttpResponseForbidden()
    word, phone = keyword(request.POST.get("Body", "")), e164(request.POST.get("From", ""))
    if not first_time(request.POST.get("MessageSid", "")):
        log.warning("webhooks: inbound SMS replayed or without a SID ignored")
        return twiml("")
    reply = ""
    with override("fr"):
        if word in STOP_WORDS and phone:
            SmsOptOut.objects.get_or_create(phone=phone)
            reply = branded(_("%(brand)s : vous ne recevrez plus d'alertes par SMS. Répondez START pour les recevoir "
                              "à nouveau."))  # fmt: skip
        elif _starts(word, phone):
            SmsOptOut.objects.filter(phone=phone).delete()
            reply = branded(_("%(brand)s : vous recevrez à nouveau les alertes par SMS. Répondez STOP pour ne plus "
                              "les recevoir."))  # fmt: skip
        elif phone:
            return _handed_over(InboundText(phone=phone, body=request.POST.get("Body", ""), word=word))
    if reply:
        log.info("webhooks: inbound SMS keyword %s handled", word.upper())
    return twiml(reply)


def _starts(word: str, phone: str) -> bool:
    """START and UNSTOP; OUI only from a number that opted out (as before). From any other number OUI answers
    an alert SMS ("moi aussi"): it is handed over with the other texts."""
    if word not in START_WORDS or not phone:
        return False
    return word != "oui" or SmsOptOut.objects.filter(phone=phone).exists()


def _handed_over(text: InboundText) -> HttpResponse:
    """Any other text, to the apps that registered for it (alerts: a report, a confirmation). Inside the request
    of Twilio's webhook, never a 500: the SID is already kept (a retry would be refused as a replay), so a handler
    that fails is logged (its type only, the text may name people) and the sender asked to write again."""
    try:
        answer = handle_inbound(text)
    except Exception as error:  # noqa: BLE001 - whatever failed, the sender must hear that nothing was recorded
        log.error("webhooks: inbound SMS handler failed (%s)", type(error).__name__)
        return twiml(branded(_("%(brand)s : votre message n'a pas été traité, merci de le renvoyer dans quelques "
                               "minutes.")))  # fmt: skip
    if answer is None:
        return twiml("")
    # The outcome only: neither the number nor the text reaches the logs.
    log.info("webhooks: inbound SMS handled: %s", answer.outcome)
    return twiml(answer.text)


def first_time(sid: str) -> bool:
    """Twilio gives each SMS its own SID and signs it: a second request with one is a replay (or a retry of
    one already handled), which must not undo a later STOP or START."""
    if not sid or len(sid) > 64:
        return False
    _row, created = InboundSms.objects.get_or_create(sid=sid)
    return created


def e164(value: str) -> str:
    """The sender as the numbers we send to are stored (E.164), or "" when it is not a phone number."""
    try:
        number = phonenumbers.parse(value.strip(), settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_valid_number(number) else ""


def keyword(body: str) -> str:
    """'  Arrêt ! ' → 'arret': accents, case, spaces and punctuation do not matter."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "", plain.casefold())


def twiml(text: str) -> HttpResponse:
    """Twilio's answer: a reply SMS, or none (an empty <Response>)."""
    response = MessagingResponse()
    if text:
        response.message(text)
    # Written out in full (`<Response></Response>`, not the SDK's `<Response />`): the answer Twilio always got.
    body = ElementTree.tostring(response.xml(), encoding="unicode", short_empty_elements=False)
    return HttpResponse(f'<?xml version="1.0" encoding="UTF-8"?>{body}', content_type="text/xml; charset=utf-8")
