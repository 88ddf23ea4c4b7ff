"""Twilio's Messages resource, as the official SDK sees it: form in, Twilio's JSON out (reading it back:
twilio_list.py)."""

import base64
import binascii
import itertools
import secrets
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from .faults import Fault, sms_behaviour
from .gsm import segments
from .records import SmsRecord

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
_FINAL_ERRORS = {30003: "Unreachable destination handset", 30005: "Unknown destination handset"}
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
    record = provider.records.sms_accepted(_new_record(form, behaviour))
    if form.get("StatusCallback"):
        provider.schedule_status_callbacks(form, record.sid, CALLBACK_ERRORS.get(behaviour))
    return 201, message_json(account_sid, record, final=False), {}


def _missing_parameter(form: dict[str, str]) -> dict[str, Any] | None:
    if not form.get("To"):
        return twilio_error(400, 21604, "A 'To' phone number is required.")
    if not form.get("Body"):
        return twilio_error(400, 21602, "Message body is required.")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return twilio_error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message.")
    return None


def message_json(account_sid: str, record: SmsRecord, *, final: bool) -> dict[str, Any]:
    """Twilio's JSON of a message: as the create call answers (queued, nothing sent yet) or, `final`, as its
    record reads afterwards (the Messages list and fetch): sent at once, then delivered or failed."""
    at = rfc2822(record.at)
    error = _FINAL_ERRORS.get(record.error_code) if final and record.error_code else None
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": record.body,
        "date_created": at,
        "date_sent": at if final else None,
        "date_updated": at,
        "direction": "outbound-api",
        "error_code": record.error_code if final else None,
        "error_message": error,
        "from": record.sender or None,
        "messaging_service_sid": record.service or None,
        "num_media": "0",
        "num_segments": str(record.segments),
        "price": None,
        "price_unit": "USD",
        "sid": record.sid,
        # With a messaging service Twilio first answers "accepted" (it picks the sender later).
        "status": record.status if final else ("accepted" if record.service else "queued"),
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{record.sid}/Media.json"},
        "to": record.to,
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{record.sid}.json",
    }


def rfc2822(at: float) -> str:
    """Twilio's date format: Sat, 05 Dec 2026 13:28:08 +0000."""
    return formatdate(at, usegmt=True).replace("GMT", "+0000")


def _new_record(form: dict[str, str], behaviour: str) -> SmsRecord:
    status, code = CALLBACK_ERRORS.get(behaviour, ("delivered", None))
    return SmsRecord(sid=f"SM{next(_counter):08x}{secrets.token_hex(12)}", to=form["To"], sender=form.get("From", ""),
                     service=form.get("MessagingServiceSid", ""), body=form["Body"], segments=segments(form["Body"]),
                     status=status, error_code=int(code) if code else None)  # fmt: skip
