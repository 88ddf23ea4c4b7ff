"""FCM HTTP v1 as documented: the request (`messages:send`, its JSON message) and the meaning of its answers.

No SDK here: the request is written from the documented wire format
(https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages) and error answers are read from
the documented error format (a google.rpc.Status whose details may carry a
`type.googleapis.com/google.firebase.fcm.v1.FcmError` with its `errorCode`, plus Retry-After on 429/503).
Both FCM paths use it: the lean path (fcm_fast) for every request and answer, the SDK path (fcm_push) to
check a message before handing it to `send_each` and to read the error answers it reports.
"""

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from .base import Outcome, PushMessage, SendResult
from .errors import network_outcome, parse_retry_after

logger = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"  # the OAuth scope messages:send needs
SEND_PATH = "/v1/projects/{project}/messages:send"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
DEFAULT_RETRY_AFTER = {"quota": 10.0, "server": 5.0, "auth": 60.0}

APNS_COLLAPSE_MAX = 64  # bytes, Apple's limit for apns-collapse-id (our tags are ASCII)
WEB_PUSH_TOPIC_MAX = 32

# google.rpc.Code names by HTTP status, for an answer without a readable `status` (the SDK's table too).
_STATUS_BY_HTTP = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                   409: "CONFLICT", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                   503: "UNAVAILABLE"}
# FcmError codes that tell more than the status: a dead token, our quota, our APNs/Web Push credentials.
_DEAD_TOKEN = ("UNREGISTERED", "SENDER_ID_MISMATCH")
_OUR_CREDENTIALS = ("THIRD_PARTY_AUTH_ERROR", "APNS_AUTH_ERROR")
_CREDENTIAL_STATUS = {"THIRD_PARTY_AUTH_ERROR": "UNAUTHENTICATED", "APNS_AUTH_ERROR": "UNAUTHENTICATED"}
_TRANSIENT_STATUS = ("UNAVAILABLE", "INTERNAL", "UNKNOWN")
# Status names read as such; any other (UNIMPLEMENTED, a new one) is UNKNOWN, as firebase-admin reads it.
_KNOWN_STATUS = frozenset(_STATUS_BY_HTTP.values()) | {
    "CANCELLED", "UNKNOWN", "DEADLINE_EXCEEDED", "ALREADY_EXISTS", "ABORTED", "OUT_OF_RANGE", "DATA_LOSS"}


def send_url(base_url: str, project: str) -> str:
    return base_url.rstrip("/") + SEND_PATH.format(project=project)


def encode(message: PushMessage) -> dict[str, Any]:
    """The `message` of a messages:send body, or ValueError when it cannot be one (e.g. data that is not text).

    Every copy of a message carries the same tag on every platform, so that a copy sent again (its first send's
    outcome unknown, a worker killed in the call) replaces the one already shown instead of showing twice, and
    an update of an alert replaces the alert. Android's `collapse_key` only collapses messages still queued for
    an offline phone; a shown notification is replaced by its `tag`. Web Push's Topic only collapses what waits
    at the push service; a shown web notification is replaced by its tag."""
    if not isinstance(message.token, str) or not message.token:
        raise ValueError("Message.token must be a non-empty string.")
    for name in ("title", "body", "collapse_key"):
        if not isinstance(getattr(message, name), str):
            raise ValueError(f"Message.{name} must be a string.")
    if not isinstance(message.data, Mapping):
        raise ValueError("Message.data must be a dictionary.")
    if not all(isinstance(key, str) for key in message.data):
        raise ValueError("Message.data must not contain non-string keys.")
    if not all(isinstance(value, str) for value in message.data.values()):
        raise ValueError("Message.data must not contain non-string values.")
    tag = message.collapse_key
    android: dict[str, Any] = {"priority": "high" if message.urgent else "normal"}
    apns_headers = {"apns-priority": "10" if message.urgent else "5"}
    webpush: dict[str, Any] = {"headers": {"Urgency": "high" if message.urgent else "normal"}}
    if tag:
        android.update(collapse_key=tag, notification={"tag": tag})
        apns_headers["apns-collapse-id"] = tag[:APNS_COLLAPSE_MAX]
        webpush["headers"]["Topic"] = web_push_topic(tag)
        webpush["notification"] = {"tag": tag}
    encoded: dict[str, Any] = {"token": message.token,
                               "notification": {"title": message.title, "body": message.body}}
    if message.data:
        encoded["data"] = dict(message.data)
    encoded.update(android=android, apns={"headers": apns_headers}, webpush=webpush)
    return encoded


def web_push_topic(tag: str) -> str:
    """Web Push's Topic header: at most 32 characters of the URL-safe base64 alphabet (RFC 8030)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", tag)[:WEB_PUSH_TOPIC_MAX]


def kept_for_later(key: str, code: str) -> SendResult:
    """A push that never left because our side could not authenticate (credentials, token): retried later."""
    return SendResult(key, Outcome.TRANSIENT, error_code=code, retry_after=DEFAULT_RETRY_AFTER["auth"])


def accepted(key: str, content: bytes) -> SendResult:
    """A 2xx answer: the message's name (projects/*/messages/*) is its provider id."""
    try:
        return SendResult(key, Outcome.SENT, provider_id=str(json.loads(content).get("name") or ""))
    except (ValueError, AttributeError):  # accepted, but we cannot read its id
        return SendResult(key, Outcome.SENT)


def answer_result(key: str, status: int, content: bytes, retry_after: str | None) -> SendResult:
    """What an error answer means for the message, from its google.rpc.Status and FcmError details."""
    error = _rpc_status(content)
    fcm_code = _fcm_code(error)
    code = str(error.get("status") or "") or _STATUS_BY_HTTP.get(status, "UNKNOWN")
    if code not in _KNOWN_STATUS:
        code = "UNKNOWN"
    if fcm_code in _DEAD_TOKEN:
        return SendResult(key, Outcome.PERMANENT, error_code=fcm_code, deactivate_recipient=True)
    if fcm_code in _OUR_CREDENTIALS:
        code = _CREDENTIAL_STATUS[fcm_code]
    elif fcm_code == "QUOTA_EXCEEDED":
        code = "RESOURCE_EXHAUSTED"
    return status_result(key, code, fcm_code, error, parse_retry_after(retry_after))


def status_result(key: str, code: str, fcm_code: str = "", error: Mapping[str, Any] | None = None,
                  retry_after: float | None = None) -> SendResult:  # fmt: skip
    """What a google.rpc status name (INVALID_ARGUMENT, RESOURCE_EXHAUSTED…) means for the message."""
    if code == "INVALID_ARGUMENT":
        bad_token = _is_bad_token(error or {})  # a malformed payload gets it too: only a bad token deactivates
        return SendResult(key, Outcome.PERMANENT, error_code="INVALID_TOKEN" if bad_token else code,
                          deactivate_recipient=bad_token)
    if code == "RESOURCE_EXHAUSTED":
        return SendResult(key, Outcome.TRANSIENT, error_code=fcm_code or code,
                          retry_after=retry_after or DEFAULT_RETRY_AFTER["quota"])
    if code in _TRANSIENT_STATUS:
        return SendResult(key, Outcome.TRANSIENT, error_code=code,
                          retry_after=retry_after or DEFAULT_RETRY_AFTER["server"])
    if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        # Our APNs certificate or service account, not the device: keep the message for later.
        logger.error("FCM refused our credentials (%s)", code)
        return kept_for_later(key, code)
    return SendResult(key, Outcome.PERMANENT, error_code=code)


def network_result(key: str, error: BaseException) -> SendResult:
    """No answer (requests' exception types): refused → TRANSIENT, a read timeout → UNKNOWN, never resent."""
    return no_answer(key, network_outcome(error))


def no_answer(key: str, outcome: Outcome) -> SendResult:
    """No answer: TRANSIENT when the request cannot have left (sent again later), UNKNOWN when it may have."""
    retry = DEFAULT_RETRY_AFTER["server"] if outcome == Outcome.TRANSIENT else None
    return SendResult(key, outcome, error_code="network", retry_after=retry)


def _rpc_status(content: bytes) -> dict[str, Any]:
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _details(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    details = error.get("details")
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def _fcm_code(error: Mapping[str, Any]) -> str:
    for detail in _details(error):
        if detail.get("@type") == FCM_ERROR_TYPE:
            return str(detail.get("errorCode") or "")
    return ""


def _is_bad_token(error: Mapping[str, Any]) -> bool:
    fields = [v.get("field") for d in _details(error) for v in d.get("fieldViolations", []) if isinstance(v, dict)]
    return "message.token" in fields or "registration token" in str(error.get("message", "")).lower()
