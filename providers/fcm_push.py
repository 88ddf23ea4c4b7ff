"""Push through firebase-admin (FCM HTTP v1): its public `messaging.send_each` in batches of at most 500
(FCM_TRANSPORT=sdk; the default, fcm_curl, and fcm_fast send without the SDK).

Public firebase-admin only, but for pointing the SDK at FCM_API_BASE_URL with our retry policy
(fcm_sdk_private, the one module that touches private names). Messages are checked against the documented
wire format (fcm_wire.encode) before they reach the SDK, and the error answers the SDK reports are read by
the same rules as the lean path's (fcm_wire.answer_result).

Outcomes of a whole-batch failure:
- the access token cannot be obtained (token endpoint down, bad key): we refresh it ourselves before
  calling the SDK, so nothing has left yet: every message is TRANSIENT;
- the SDK raises for the whole batch after it started (its thread pool failed): some messages may
  have been accepted, and the SDK no longer says which: every message is UNKNOWN. Pushes carry a
  collapse key, so a resend replaces rather than duplicates on the phone, but the caller decides.
"""

import hashlib
import logging
import threading
import warnings
from collections.abc import Sequence
from typing import Any

import firebase_admin
import google.auth.exceptions
import google.auth.transport.requests
from django.conf import settings
from firebase_admin import credentials, exceptions, messaging
from urllib3.util.retry import Retry

from . import fcm_sdk_private, fcm_wire
from .base import Outcome, PushMessage, SendResult
from .fcm_wire import kept_for_later, web_push_topic

# web_push_topic is fcm_wire's, still importable from here.
__all__ = ["BATCH_SIZE", "GOOGLE_FCM", "RETRY", "FcmPushBackend", "build_message", "classify", "firebase_app",
           "messaging_service", "web_push_topic"]

logger = logging.getLogger(__name__)

GOOGLE_FCM = "https://fcm.googleapis.com"
BATCH_SIZE = 500  # the SDK refuses more per send_each
# Our own retry policy instead of the SDK's (4 retries with backoff, and a resend after a read error):
# one quick retry when FCM answers 500/503 (it did not take the message), never after a read error.
RETRY = Retry(total=2, connect=1, read=0, status=1, status_forcelist=(500, 503), backoff_factor=0.2,
              allowed_methods=None, raise_on_status=False, respect_retry_after_header=False)

_apps_lock = threading.Lock()


class FcmPushBackend:
    def __init__(self) -> None:
        self._app: firebase_admin.App | None = None
        self._lock = threading.Lock()
        self._request = google.auth.transport.requests.Request()

    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        try:
            self._firebase_app()
        except (OSError, ValueError) as error:  # FIREBASE_CREDENTIALS missing or unreadable: nothing left
            logger.error("FIREBASE_CREDENTIALS unusable (%s): pushes kept for later", type(error).__name__)
            return [kept_for_later(m.key, "credentials") for m in messages]
        results: list[SendResult] = []
        for start in range(0, len(messages), BATCH_SIZE):
            results.extend(self._send_chunk(messages[start:start + BATCH_SIZE]))
        return results

    def _send_chunk(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        app = self._firebase_app()
        encoded: dict[int, messaging.Message] = {}
        results: dict[int, SendResult] = {}
        for index, message in enumerate(messages):
            try:
                encoded[index] = build_message(message)
            except ValueError as error:  # e.g. data values that are not strings: ours, not FCM's
                logger.error("push %s not encodable: %s", message.key, error)
                results[index] = SendResult(message.key, Outcome.PERMANENT, error_code="not_encodable")
        if encoded:
            results.update(self._send_encoded(app, messages, encoded))
        return [results[index] for index in range(len(messages))]

    def _send_encoded(self, app: firebase_admin.App, messages: Sequence[PushMessage],
                      encoded: dict[int, messaging.Message]) -> dict[int, SendResult]:
        keys = {index: messages[index].key for index in encoded}
        try:
            self._ensure_token(app.credential.get_credential())
        except google.auth.exceptions.GoogleAuthError as error:
            logger.error("FCM access token unavailable (%s): batch kept for later", type(error).__name__)
            return {i: kept_for_later(k, "auth") for i, k in keys.items()}
        try:
            batch = messaging.send_each(list(encoded.values()), app=app)
        except exceptions.FirebaseError as error:
            logger.error("FCM batch failed after it started (%s): outcome unknown", type(error).__name__)
            return {i: SendResult(k, Outcome.UNKNOWN, error_code="batch") for i, k in keys.items()}
        return {i: _result(keys[i], r) for i, r in zip(encoded, batch.responses, strict=True)}

    def _ensure_token(self, credential: Any) -> None:
        """Get a fresh access token before sending, so a token failure means nothing was sent (the SDK's
        session uses this same credential object, and sees a valid token)."""
        if not credential.valid:
            with self._lock:
                if not credential.valid:
                    credential.refresh(self._request)

    def _firebase_app(self) -> firebase_admin.App:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = firebase_app(settings.FIREBASE_CREDENTIALS, settings.FCM_API_BASE_URL)
        return self._app


def firebase_app(credentials_path: str, base_url: str) -> firebase_admin.App:
    """The firebase app for one configuration, created once per process, its messaging aimed at base_url."""
    timeout = settings.FCM_TIMEOUT_SECONDS
    name = "vigilants-" + hashlib.sha256(f"{credentials_path}|{base_url}|{timeout}".encode()).hexdigest()[:12]
    with _apps_lock:
        try:
            app = firebase_admin.get_app(name)
        except ValueError:
            app = firebase_admin.initialize_app(credentials.Certificate(credentials_path),
                                                {"httpTimeout": timeout}, name=name)
        fcm_sdk_private.point_app_at(app, base_url, RETRY)
        if base_url != GOOGLE_FCM:
            fcm_sdk_private.skip_google_only_lookups(app.credential.get_credential())
    return app


def messaging_service(credentials_path: str, base_url: str) -> Any:
    """The SDK's messaging service of firebase_app() (bench/fcm_send_each.py times its send_each_async)."""
    return fcm_sdk_private.messaging_service(firebase_app(credentials_path, base_url))


def build_message(message: PushMessage) -> messaging.Message:
    """The SDK's Message for fcm_wire.encode()'s wire message (same tags, headers and priorities), or
    ValueError when it cannot be encoded: raised now, not by send_each for its whole batch."""
    wire = fcm_wire.encode(message)
    android, webpush = wire["android"], wire["webpush"]
    tag = android.get("notification", {}).get("tag")
    with warnings.catch_warnings():
        # firebase-admin 7.7 deprecates `token` for Firebase installation ids; the app registers FCM
        # tokens, which the v1 API still takes.
        warnings.simplefilter("ignore", DeprecationWarning)
        return messaging.Message(
            token=wire["token"],
            notification=messaging.Notification(**wire["notification"]),
            data=wire.get("data", {}),
            android=messaging.AndroidConfig(collapse_key=android.get("collapse_key"), priority=android["priority"],
                                            notification=messaging.AndroidNotification(tag=tag)),
            apns=messaging.APNSConfig(headers=wire["apns"]["headers"]),
            webpush=messaging.WebpushConfig(headers=webpush["headers"],
                                            notification=messaging.WebpushNotification(tag=tag) if tag else None),
        )


def _result(key: str, response: messaging.SendResponse) -> SendResult:
    if response.success:
        return SendResult(key, Outcome.SENT, provider_id=response.message_id or "")
    return classify(key, response.exception)


def classify(key: str, error: exceptions.FirebaseError) -> SendResult:
    """What an error send_each reports means: its answer read as the lean path reads it (fcm_wire)."""
    answer = error.http_response
    if answer is not None:
        return fcm_wire.answer_result(key, answer.status_code, answer.content, answer.headers.get("Retry-After"))
    if error.cause is not None:
        return fcm_wire.network_result(key, error.cause)  # no answer: connection refused, or a read timeout
    return fcm_wire.status_result(key, str(error.code or "UNKNOWN"))
