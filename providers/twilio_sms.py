"""SMS through Twilio's official SDK: one Messages.json call per SMS (Twilio has no batch send)."""

import logging
import threading
import urllib.parse
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from .base import LookupUnavailable, Outcome, SendResult, SmsMessage, not_started, past_deadline
from .errors import network_outcome, parse_retry_after

logger = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/api/v1/webhooks/twilio/status"

# Errors about the recipient: the message will never go through. 21610: the number answered STOP.
PERMANENT_CODES = {
    21211: "invalid_number",
    21614: "not_mobile",
    21610: "opted_out",
    21612: "unroutable",
    21408: "region_not_enabled",
}
DEACTIVATING_CODES = {21610}
RATE_LIMIT_CODES = {20429, 429}
DEFAULT_RETRY_AFTER = {"rate_limited": 1.0, "server_error": 5.0, "network": 5.0, "auth": 60.0}


# Twilio's records are looked up from a little before the message was written (clocks differ), at most this many.
LOOKUP_SLACK = timedelta(minutes=2)
LOOKUP_PAGE = 50
LOOKUP_LIMIT = 200


class RoutedHttpClient(TwilioHttpClient):
    """The SDK's client with a timeout (it has none by default) and another base URL (the fake)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url.rstrip("/")
        # The environment's proxy and CA settings (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE…), read once:
        # requests otherwise scans the whole environment on every call (0.7 ms of CPU per SMS).
        found = self.session.merge_environment_settings(self.base_url + "/", {}, None, None, None)
        self.proxy, self.session.verify, self.session.trust_env = found["proxies"], found["verify"], False
        self.last_response: Response | None = None  # for Retry-After: the SDK's exceptions drop headers

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API):]
        self.last_response = None
        self.last_response = super().request(method, url, *args, **kwargs)
        return self.last_response


class TwilioSmsBackend:
    def __init__(self) -> None:
        # One SDK client (and connection pool) per thread: requests sessions are not thread-safe.
        self._local = threading.local()

    def send_batch(self, messages: Sequence[SmsMessage]) -> list[SendResult]:
        """One request per SMS, in turn; none starts after the call's deadline (base.call_deadline)."""
        return [not_started(message.key) if past_deadline() else self.send(message) for message in messages]

    def send(self, message: SmsMessage) -> SendResult:
        client = self._client()
        try:
            sent = client.messages.create(**self._params(message))
        except TwilioException as error:  # TwilioRestException and, since 9.10, TwilioServiceException
            return _api_failure(message.key, error, client.http_client.last_response)
        except requests.RequestException as error:
            outcome = network_outcome(error)
            logger.warning("SMS %s: network error (%s), %s", message.key, type(error).__name__, outcome)
            retry = DEFAULT_RETRY_AFTER["network"] if outcome == Outcome.TRANSIENT else None
            return SendResult(message.key, outcome, error_code="network", retry_after=retry)
        return SendResult(message.key, Outcome.SENT, provider_id=sent.sid or "", segments=_int(sent.num_segments))

    def find_sent(self, message: SmsMessage, since: datetime) -> list[str]:
        """SIDs of the SMS Twilio took with this recipient and text since `since`, newest first ([] when none):
        Twilio keeps a record of every message, which is how an SMS whose answer was lost is decided without
        sending it twice (no idempotency key exists). First by date sent, as Twilio's filters allow; then the
        newest page without it, since a message still queued at Twilio has no date sent yet. Raises
        LookupUnavailable when Twilio cannot be asked (checked again later)."""
        client, start = self._client(), since - LOOKUP_SLACK
        try:
            records = client.messages.list(to=message.to, date_sent_after=start, page_size=LOOKUP_PAGE, limit=LOOKUP_LIMIT)
            if not _matching(records, message.body, start):
                records = client.messages.list(to=message.to, page_size=LOOKUP_PAGE, limit=LOOKUP_PAGE)
        except (TwilioException, requests.RequestException) as error:
            raise LookupUnavailable(type(error).__name__) from error
        return _matching(records, message.body, start)

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            http_client = RoutedHttpClient(settings.TWILIO_API_BASE_URL, settings.TWILIO_TIMEOUT_SECONDS)
            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
            self._local.client = client
        return client

    def _params(self, message: SmsMessage) -> dict[str, Any]:
        params: dict[str, Any] = {"to": message.to, "body": message.body, "status_callback": status_callback_url(message.key)}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            params["from_"] = settings.TWILIO_FROM
        if message.validity_seconds:
            params["validity_period"] = message.validity_seconds
        return params


def _matching(records: list[Any], body: str, start: datetime) -> list[str]:
    def since_start(record: Any) -> bool:
        created: datetime | None = record.date_created or record.date_sent
        return created is None or created >= start

    return [r.sid for r in records if r.sid and (r.body or "").strip() == body.strip() and since_start(r)]


def status_callback_url(key: str) -> str:
    """Where Twilio posts delivery statuses; `d` carries our delivery key to reconcile without a lookup."""
    return f"{settings.PUBLIC_BASE_URL}{STATUS_CALLBACK_PATH}?{urllib.parse.urlencode({'d': key})}"


def _api_failure(key: str, error: TwilioException, response: Response | None) -> SendResult:
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    error_code = str(code or status or "")
    logger.warning("SMS %s refused by Twilio: HTTP %s, code %s", key, status, code)
    if code in PERMANENT_CODES:
        return SendResult(key, Outcome.PERMANENT, error_code=error_code, deactivate_recipient=code in DEACTIVATING_CODES)
    said = parse_retry_after(response.headers.get("Retry-After") if response is not None else None)
    if status == 429 or code in RATE_LIMIT_CODES:
        return SendResult(key, Outcome.TRANSIENT, error_code=error_code, retry_after=said or DEFAULT_RETRY_AFTER["rate_limited"])
    if isinstance(status, int) and status >= 500:
        return SendResult(key, Outcome.TRANSIENT, error_code=error_code, retry_after=said or DEFAULT_RETRY_AFTER["server_error"])
    if status in (401, 403):
        # Our credentials, not the recipient: keep the message for when the account is fixed.
        logger.error("Twilio refused our credentials (HTTP %s): check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN", status)
        return SendResult(key, Outcome.TRANSIENT, error_code=error_code, retry_after=DEFAULT_RETRY_AFTER["auth"])
    if status is None:
        # Not an HTTP refusal (e.g. an unreadable answer to an accepted request): it may have been sent.
        return SendResult(key, Outcome.UNKNOWN, error_code="unreadable")
    return SendResult(key, Outcome.PERMANENT, error_code=error_code)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
