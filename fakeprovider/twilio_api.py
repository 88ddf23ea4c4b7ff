"""Twilio's Messages resource, as the official SDK sees it: form in, Twilio's JSON out."""

import base64
import binascii
import itertools
import secrets
import urllib.parse
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from .faults import Fault, sms_behaviour
from .gsm import segments

if TYPE_CHECKING:
    from .server import FakeProvider

Reply = tuple[int, dict[str, Any], dict[str, str]]

_ERRORS = {
    "invalid": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "not_mobile": (400, 21614, "'To' number is not a valid mobile number"),
    "opted_out": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "rate_limited": (429, 20429, "Too Many Requests"),
    "server_error": (500, 20500, "Internal Server Error"),
}
CALLBACK_ERRORS = {"undelivered": ("undelivered", "30003"), "failed": ("failed", "30005")}
_counter = itertools.count(1)


def twilio_error(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's legacy error body (what api.twilio.com/2010-04-01 answers)."""
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def fault_reply(fault: Fault) -> Reply:
    code = 20000 + fault.status if fault.status in (429, 500, 502, 503) else fault.status
    headers = {"Retry-After": str(fault.retry_after)} if fault.status in (429, 503) else {}
    return fault.status, twilio_error(fault.status, code, "Injected failure"), headers


def authorised(provider: "FakeProvider", account_sid: str, authorization: str) -> bool:
    if not authorization.startswith("Basic ") or account_sid != provider.account_sid:
        return False
    try:
        user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(f"{user}:{password}", f"{provider.account_sid}:{provider.auth_token}")


def create_message(provider: "FakeProvider", account_sid: str, authorization: str, form: dict[str, str]) -> Reply:
    if not authorised(provider, account_sid, authorization):
        return 401, twilio_error(401, 20003, "Authenticate"), {}
    missing = _missing_parameter(form)
    if missing:
        return 400, missing, {}
    behaviour = sms_behaviour(form["To"])
    if behaviour in _ERRORS:
        status, code, message = _ERRORS[behaviour]
        headers = {"Retry-After": "1"} if status == 429 else {}
        return status, twilio_error(status, code, message.format(to=form["To"])), headers
    if behaviour == "slow":
        provider.sleep_slow()
    message = _message_json(account_sid, form)
    if form.get("StatusCallback"):
        provider.schedule_status_callbacks(form, message["sid"], CALLBACK_ERRORS.get(behaviour))
    return 201, message, {}


def _missing_parameter(form: dict[str, str]) -> dict[str, Any] | None:
    if not form.get("To"):
        return twilio_error(400, 21604, "A 'To' phone number is required.")
    if not form.get("Body"):
        return twilio_error(400, 21602, "Message body is required.")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
    return None


def _message_json(account_sid: str, form: dict[str, str]) -> dict[str, Any]:
    sid = f"SM{next(_counter):08x}{secrets.token_hex(12)}"
    now = formatdate(usegmt=True)
    service = form.get("MessagingServiceSid")
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": form["Body"],
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From") or None,
        "messaging_service_sid": service or None,
        "num_media": "0",
        "num_segments": str(segments(form["Body"])),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        # With a messaging service Twilio first answers "accepted" (it picks the sender later).
        "status": "accepted" if service else "queued",
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
        "to": form["To"],
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    }


def read_messages(provider: "FakeProvider", path: str, query: str, authorization: str) -> Reply:
    """GET the Messages list (Twilio's filters and pages) or one message, as the SDK reads them."""
    parts = path.split("/")  # ['', '2010-04-01', 'Accounts', sid, 'Messages.json' | 'Messages', '{Sid}.json']
    if len(parts) < 5 or not authorised(provider, parts[3], authorization):
        return 401, twilio_error(401, 20003, "Authenticate"), {}
    if len(parts) == 5 and parts[4] == "Messages.json":
        try:
            return 200, provider.records.page(path, dict(urllib.parse.parse_qsl(query))), {}
        except ValueError as error:
            return 400, twilio_error(400, 20001, f"Invalid parameter: {error}"), {}
    if len(parts) == 6 and parts[4] == "Messages" and parts[5].endswith(".json"):
        found = provider.records.find(parts[5].removesuffix(".json"))
        return (200, found, {}) if found else (404, twilio_error(404, 20404, "The requested resource was not found"), {})
    return 404, twilio_error(404, 20404, "The requested resource was not found"), {}
