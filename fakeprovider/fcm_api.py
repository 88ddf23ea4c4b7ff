"""FCM HTTP v1 `messages:send` and the OAuth2 token endpoint google-auth calls for a service account."""

import base64
import binascii
import itertools
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from .faults import Fault, token_behaviour

if TYPE_CHECKING:
    from .server import FakeProvider

Reply = tuple[int, dict[str, Any], dict[str, str]]

FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_RPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_FCM_CODE = {400: "INVALID_ARGUMENT", 403: "SENDER_ID_MISMATCH", 404: "UNREGISTERED", 429: "QUOTA_EXCEEDED",
             500: "INTERNAL", 503: "UNAVAILABLE"}
_BEHAVIOURS = {
    "unregistered": (404, "Requested entity was not found."),
    "sender_mismatch": (403, "SenderId mismatch"),
    "invalid": (400, "The registration token is not a valid FCM registration token"),
    "quota": (429, "Quota exceeded for quota metric 'Messages' of service 'fcm.googleapis.com'."),
    "unavailable": (503, "The service is currently unavailable."),
    "internal": (500, "Internal error encountered."),
}
_counter = itertools.count(1)


def fcm_error(status: int, message: str, fcm_code: str | None = None) -> dict[str, Any]:
    """The google.rpc.Status body FCM answers, with the FcmError detail the SDK maps to exceptions."""
    error: dict[str, Any] = {"code": status, "message": message, "status": _RPC_STATUS.get(status, "UNKNOWN")}
    details: list[dict[str, Any]] = []
    if fcm_code:
        details.append({"@type": FCM_ERROR_TYPE, "errorCode": fcm_code})
    if fcm_code == "INVALID_ARGUMENT":
        details.append({"@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": "message.token", "description": "Invalid registration token"}]})
    if details:
        error["details"] = details
    return {"error": error}


def fault_reply(fault: Fault) -> Reply:
    headers = {"Retry-After": str(fault.retry_after)} if fault.status in (429, 503) else {}
    return fault.status, fcm_error(fault.status, "Injected failure", _FCM_CODE.get(fault.status)), headers


def send_message(provider: "FakeProvider", project: str, authorization: str, body: Any) -> Reply:
    if not authorization.startswith("Bearer ") or authorization[7:] not in provider.issued_tokens:
        return 401, fcm_error(401, "Request had invalid authentication credentials."), {}
    message = body.get("message") if isinstance(body, dict) else None
    targets = [key for key in ("token", "topic", "condition") if isinstance(message, dict) and message.get(key)]
    if not isinstance(message, dict) or len(targets) != 1:
        return 400, fcm_error(400, "Exactly one of token, topic or condition is required.", "INVALID_ARGUMENT"), {}
    behaviour = token_behaviour(message.get("token", ""))
    if behaviour == "slow":
        provider.sleep_slow()
    elif behaviour in _BEHAVIOURS:
        status, text = _BEHAVIOURS[behaviour]
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        return status, fcm_error(status, text, _FCM_CODE[status]), headers
    provider.records.push_accepted(message)
    return 200, {"name": f"projects/{project}/messages/0:{next(_counter)}%fake"}, {}


def issue_token(provider: "FakeProvider", form: dict[str, str]) -> Reply:
    """The JWT-bearer grant: google-auth posts a self-signed assertion, gets an access token."""
    if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return 400, {"error": "unsupported_grant_type"}, {}
    claims = _jwt_claims(form.get("assertion", ""))
    if claims is None or not claims.get("iss") or claims.get("exp", 0) < time.time():
        return 400, {"error": "invalid_grant", "error_description": "Invalid JWT assertion."}, {}
    token = f"ya29.fake-{secrets.token_urlsafe(24)}"
    provider.issued_tokens.add(token)
    return 200, {"access_token": token, "expires_in": provider.token_lifetime, "token_type": "Bearer"}, {}


def _jwt_claims(assertion: str) -> dict[str, Any] | None:
    """The assertion's payload. The signature is not checked: the fake has no key registry."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None
