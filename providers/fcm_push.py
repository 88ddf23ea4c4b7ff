"""Push through firebase-admin (FCM HTTP v1): `send_each` in batches of at most 500.

Outcomes of a whole-batch failure:
- the access token cannot be obtained (token endpoint down, bad key): we refresh it ourselves before
  calling the SDK, so nothing has left yet: every message is TRANSIENT;
- the SDK raises for the whole batch after it started (its thread pool failed): some messages may
  have been accepted, and the SDK no longer says which: every message is UNKNOWN. Pushes carry a
  collapse key, so a resend replaces rather than duplicates on the phone, but the caller decides.
"""

import hashlib
import json
import logging
import re
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
import requests.adapters
from django.conf import settings
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

from .base import Outcome, PushMessage, SendResult
from .errors import network_outcome, parse_retry_after

logger = logging.getLogger(__name__)

GOOGLE_FCM = "https://fcm.googleapis.com"
BATCH_SIZE = 500  # the SDK refuses more per send_each
SDK_FCM_URL = "https://fcm.googleapis.com/v1/projects/{0}/messages:send"
DEFAULT_RETRY_AFTER = {"quota": 10.0, "server": 5.0, "auth": 60.0}
# Our own retry policy instead of the SDK's (4 retries with backoff, and a resend after a read error):
# one quick retry when FCM answers 500/503 (it did not take the message), never after a read error.
RETRY = Retry(total=2, connect=1, read=0, status=1, status_forcelist=(500, 503), backoff_factor=0.2,
              allowed_methods=None, raise_on_status=False, respect_retry_after_header=False)

APNS_COLLAPSE_MAX = 64  # bytes, Apple's limit for apns-collapse-id (our tags are ASCII)
WEB_PUSH_TOPIC_MAX = 32

_apps_lock = threading.Lock()


class FcmPushBackend:
    def __init__(self) -> None:
        self._service: Any = None
        self._lock = threading.Lock()

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        try:
            self._messaging()
        except (OSError, ValueError) as error:  # FIREBASE_CREDENTIALS missing or unreadable: nothing left
            logger.error("FIREBASE_CREDENTIALS unusable (%s): pushes kept for later", type(error).__name__)
            return [kept_for_later(m.key, "credentials") for m in messages]
        results: list[SendResult] = []
        for start in range(0, len(messages), BATCH_SIZE):
            results.extend(self._send_chunk(messages[start:start + BATCH_SIZE]))
        return results

    def _send_chunk(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        service = self._messaging()
        encoded: dict[int, messaging.Message] = {}
        results: dict[int, SendResult] = {}
        for index, message in enumerate(messages):
            try:
                encoded[index] = build_message(message)
            except ValueError as error:  # e.g. data values that are not strings: ours, not FCM's
                logger.error("push %s not encodable: %s", message.key, error)
                results[index] = SendResult(message.key, Outcome.PERMANENT, error_code="not_encodable")
        if encoded:
            results.update(self._send_encoded(service, messages, encoded))
        return [results[index] for index in range(len(messages))]

    def _send_encoded(self, service: Any, messages: Sequence[PushMessage],
                      encoded: dict[int, messaging.Message]) -> dict[int, SendResult]:
        keys = {index: messages[index].key for index in encoded}
        try:
            self._ensure_token(service)
        except google.auth.exceptions.GoogleAuthError as error:
            logger.error("FCM access token unavailable (%s): batch kept for later", type(error).__name__)
            return {i: kept_for_later(k, "auth") for i, k in keys.items()}
        try:
            batch = service.send_each(list(encoded.values()))
        except exceptions.FirebaseError as error:
            logger.error("FCM batch failed after it started (%s): outcome unknown", type(error).__name__)
            return {i: SendResult(k, Outcome.UNKNOWN, error_code="batch") for i, k in keys.items()}
        return {i: _result(keys[i], r) for i, r in zip(encoded, batch.responses, strict=True)}

    def _ensure_token(self, service: Any) -> None:
        """Get a fresh access token before sending, so a token failure means nothing was sent."""
        credential = service._credential
        if not credential.valid:
            with self._lock:
                if not credential.valid:
                    credential.refresh(google.auth.transport.requests.Request())

    def _messaging(self) -> Any:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    self._service = messaging_service(settings.FIREBASE_CREDENTIALS, settings.FCM_API_BASE_URL)
        return self._service


def messaging_service(credentials_path: str, base_url: str) -> Any:
    """The SDK's messaging service for a named app, created once per process and configuration."""
    timeout = settings.FCM_TIMEOUT_SECONDS
    name = "vigilants-" + hashlib.sha256(f"{credentials_path}|{base_url}|{timeout}".encode()).hexdigest()[:12]
    with _apps_lock:
        try:
            app = firebase_admin.get_app(name)
        except ValueError:
            app = firebase_admin.initialize_app(credentials.Certificate(credentials_path),
                                                {"httpTimeout": timeout}, name=name)
        service = messaging._get_messaging_service(app)
        point_at(service, base_url)
        if base_url != GOOGLE_FCM:
            _skip_google_only_lookups(service._credential)
    return service


def _skip_google_only_lookups(credential: Any) -> None:
    """After each token refresh, google-auth asks iamcredentials.googleapis.com for the account's
    "regional access boundary" (in the background). Pointed at the fake, there is no Google to ask."""
    if hasattr(credential, "_is_regional_access_boundary_lookup_required"):
        credential._is_regional_access_boundary_lookup_required = lambda: False


def point_at(service: Any, base_url: str) -> None:
    """The one place that knows where the SDK keeps the FCM URL (it has no public switch).

    _MessagingService.__init__ formats FCM_URL into `_fcm_url`, which send/send_each/send_each_async
    read. If a new SDK version moves it, fail loudly rather than silently sending to Google.
    """
    if getattr(type(service), "FCM_URL", None) != SDK_FCM_URL or not hasattr(service, "_fcm_url"):
        raise RuntimeError("firebase_admin moved its FCM URL: update providers/fcm_push.py")
    service._fcm_url = f"{base_url}/v1/projects/{service._project_id}/messages:send"
    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=BATCH_SIZE, max_retries=RETRY)
    service._client.session.mount(base_url, adapter)


def build_message(message: PushMessage) -> messaging.Message:
    """The FCM message. Every copy of a message carries the same tag on every platform, so that a copy sent
    again (its first send's outcome unknown, a worker killed in the call) replaces the one already shown
    instead of showing twice, and an update of an alert replaces the alert. Android's `collapse_key` only
    collapses messages still queued for an offline phone; a shown notification is replaced by its `tag`."""
    tag = message.collapse_key or None
    apns_headers = {"apns-priority": "10" if message.urgent else "5"}
    webpush_headers = {"Urgency": "high" if message.urgent else "normal"}
    if tag:
        apns_headers["apns-collapse-id"] = tag[:APNS_COLLAPSE_MAX]
        webpush_headers["Topic"] = web_push_topic(tag)
    with warnings.catch_warnings():
        # firebase-admin 7.7 deprecates `token` for Firebase installation ids; the app registers FCM
        # tokens, which the v1 API still takes.
        warnings.simplefilter("ignore", DeprecationWarning)
        fcm_message = messaging.Message(
            token=message.token,
            notification=messaging.Notification(title=message.title, body=message.body),
            data=dict(message.data),
            android=messaging.AndroidConfig(collapse_key=tag, priority="high" if message.urgent else "normal",
                                            notification=messaging.AndroidNotification(tag=tag)),
            apns=messaging.APNSConfig(headers=apns_headers),
            # Topic only collapses what waits at the push service; a shown web notification is replaced by its tag.
            webpush=messaging.WebpushConfig(headers=webpush_headers,
                                            notification=messaging.WebpushNotification(tag=tag) if tag else None),
        )
    messaging._MessagingService.encode_message(fcm_message)  # raises ValueError now, not mid-batch
    return fcm_message


def web_push_topic(tag: str) -> str:
    """Web Push's Topic header: at most 32 characters of the URL-safe base64 alphabet (RFC 8030)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", tag)[:WEB_PUSH_TOPIC_MAX]


def kept_for_later(key: str, code: str) -> SendResult:
    """A push that never left because our side could not authenticate (credentials, token): retried later."""
    return SendResult(key, Outcome.TRANSIENT, error_code=code, retry_after=DEFAULT_RETRY_AFTER["auth"])


def _result(key: str, response: messaging.SendResponse) -> SendResult:
    if response.success:
        return SendResult(key, Outcome.SENT, provider_id=response.message_id or "")
    return classify(key, response.exception)


def classify(key: str, error: exceptions.FirebaseError) -> SendResult:
    code = getattr(error, "code", "") or ""
    if isinstance(error, messaging.UnregisteredError | messaging.SenderIdMismatchError):
        return SendResult(key, Outcome.PERMANENT, error_code=_fcm_code(error) or code, deactivate_recipient=True)
    if isinstance(error, exceptions.InvalidArgumentError):
        bad_token = _is_bad_token(error)
        return SendResult(key, Outcome.PERMANENT, error_code="INVALID_TOKEN" if bad_token else code,
                          deactivate_recipient=bad_token)
    if isinstance(error, messaging.QuotaExceededError | exceptions.ResourceExhaustedError):
        return SendResult(key, Outcome.TRANSIENT, error_code=_fcm_code(error) or code,
                          retry_after=_retry_after(error) or DEFAULT_RETRY_AFTER["quota"])
    if error.http_response is None and error.cause is not None:
        outcome = network_outcome(error.cause)  # no answer: connection refused, or a read timeout
        retry = DEFAULT_RETRY_AFTER["server"] if outcome == Outcome.TRANSIENT else None
        return SendResult(key, outcome, error_code="network", retry_after=retry)
    if isinstance(error, exceptions.UnavailableError | exceptions.InternalError | exceptions.UnknownError):
        return SendResult(key, Outcome.TRANSIENT, error_code=code,
                          retry_after=_retry_after(error) or DEFAULT_RETRY_AFTER["server"])
    if isinstance(error, messaging.ThirdPartyAuthError | exceptions.UnauthenticatedError
                  | exceptions.PermissionDeniedError):
        # Our APNs certificate or service account, not the device: keep the message for later.
        logger.error("FCM refused our credentials (%s)", code)
        return kept_for_later(key, code)
    return SendResult(key, Outcome.PERMANENT, error_code=code)


def _error_body(error: exceptions.FirebaseError) -> dict[str, Any]:
    try:
        body = json.loads(error.http_response.content) if error.http_response is not None else {}
    except ValueError:
        return {}
    return body.get("error", {}) if isinstance(body, dict) else {}


def _fcm_code(error: exceptions.FirebaseError) -> str:
    for detail in _error_body(error).get("details", []):
        if detail.get("@type", "").endswith("google.firebase.fcm.v1.FcmError"):
            return str(detail.get("errorCode", ""))
    return ""


def _is_bad_token(error: exceptions.FirebaseError) -> bool:
    """INVALID_ARGUMENT is also what a malformed payload gets: only a bad token deactivates the device."""
    body = _error_body(error)
    fields = [v.get("field") for d in body.get("details", []) for v in d.get("fieldViolations", [])]
    return "message.token" in fields or "registration token" in str(body.get("message", "")).lower()


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = error.http_response
    return parse_retry_after(response.headers.get("Retry-After")) if response is not None else None
