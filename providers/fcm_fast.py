"""Push through FCM HTTP v1 without the SDK's per-call thread pool: the lean hot path (PUSH_BACKEND=fcm,
FCM_TRANSPORT=fast, the default; FCM_TRANSPORT=sdk keeps firebase-admin's send_each).

firebase-admin stays in charge of what it is good at: the service-account credentials (google-auth,
the file's token_uri, refreshed when expired), the message encoding (its own encoder, through
`build_message`, which also rejects data that is not text) and the meaning of FCM's error answers
(its `_handle_fcm_error` builds the same exception types `send_each` returns, and `classify` maps them
exactly as for the SDK path). What it does not do well at volume is `send_each`: a new pool of up to
500 threads per call and a fresh `requests` preparation per message, about 1.5 ms of CPU each.

Here one process owns one keep-alive urllib3 connection pool (POOL_SIZE connections, the same retry
policy as the SDK path: one quick retry on 500/503, never after a read error; requests' per-call
preparation was most of the client's CPU) and one persistent pool of POOL_SIZE threads. Failures are
turned into the requests exceptions requests' adapter would raise, so the SDK's handler and
`classify` see exactly what they see on the send_each path. Messages that differ only by their token (a broadcast) are
encoded once by the SDK; each request body is that JSON with the token spliced in.

Outcomes of a whole-batch failure are those of the SDK path: no access token → every message
TRANSIENT (nothing has left); per-message network errors go through the SDK's own mapping (connection
refused → TRANSIENT, read timeout → UNKNOWN, never resent).
"""

import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

import google.auth.exceptions
import requests
import urllib3
from django.conf import settings
from firebase_admin import messaging

from .base import Outcome, PushMessage, SendResult
from .fcm_push import RETRY, FcmPushBackend, build_message, classify, kept_for_later

logger = logging.getLogger(__name__)

POOL_SIZE = 32  # requests in flight per process (threads and keep-alive connections)
AHEAD = 2 * POOL_SIZE  # send_stream takes the next chunk when fewer requests than this are left
_TOKEN_MARK = "\x00vigilants-token\x00"  # noqa: S105 - a placeholder, not a secret


class FastFcmPushBackend(FcmPushBackend):
    """FcmPushBackend's credentials, encoding and error mapping; our own pooled HTTP client."""

    def __init__(self) -> None:
        super().__init__()
        self._http: urllib3.HTTPConnectionPool | None = None
        self._path = ""
        self._pool: ThreadPoolExecutor | None = None
        self._url = ""
        self._headers: dict[str, str] = {}
        self._timeout = urllib3.Timeout(connect=10.0, read=10.0)
        self._templates: dict[tuple, tuple[str, str] | ValueError] = {}
        self._client_lock = threading.Lock()
        self._pid = os.getpid()

    # --- the client, once per process ---------------------------------------------------------
    def _client(self, service: Any) -> tuple[urllib3.HTTPConnectionPool, ThreadPoolExecutor]:
        if self._pid != os.getpid():  # forked after first use: threads and sockets stay with the parent
            self._http, self._pool, self._pid = None, None, os.getpid()
        if self._http is None:
            with self._client_lock:
                if self._http is None:
                    timeout = settings.FCM_TIMEOUT_SECONDS
                    self._url = service._fcm_url  # where point_at() aimed the SDK: one place knows
                    proxy = requests.utils.get_environ_proxies(self._url).get(self._url.split(":", 1)[0])
                    manager = (urllib3.ProxyManager(proxy, num_pools=2, maxsize=POOL_SIZE, block=True)
                               if proxy else urllib3.PoolManager(num_pools=2, maxsize=POOL_SIZE, block=True))
                    self._http = manager.connection_from_url(self._url)
                    self._path = self._url if proxy else urllib3.util.parse_url(self._url).request_uri
                    self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
                    self._headers = {**service._fcm_headers, "Content-Type": "application/json",
                                     "User-Agent": requests.utils.default_user_agent(), "Accept": "*/*"}
                    self._pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="fcm")
        return self._http, self._pool  # type: ignore[return-value]

    # --- encoding: the SDK's, once per distinct content --------------------------------------
    def _body(self, message: PushMessage) -> bytes:
        """The request body, or ValueError when the SDK refuses to encode the message."""
        if not isinstance(message.token, str) or not message.token:
            raise ValueError("Message.token must be a non-empty string.")
        key = (message.title, message.body, tuple(message.data.items()), message.collapse_key, message.urgent)
        template = self._templates.get(key)
        if template is None:
            try:
                marked = PushMessage(message.key, _TOKEN_MARK, message.title, message.body, dict(message.data),
                                     message.collapse_key, message.urgent)  # fmt: skip
                encoded = messaging._MessagingService.encode_message(build_message(marked))
                prefix, _, suffix = json.dumps({"message": encoded}).partition(json.dumps(_TOKEN_MARK))
                template = (prefix, suffix)
            except ValueError as error:
                template = error
            if len(self._templates) > 1000:
                self._templates.clear()
            self._templates[key] = template
        if isinstance(template, ValueError):
            raise template
        return (template[0] + json.dumps(message.token) + template[1]).encode()

    # --- sending --------------------------------------------------------------------------
    def _send_chunk(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        """send_batch()'s calls of ≤500: one chunk through send_stream."""
        return self.send_stream([messages])

    def send_stream(self, chunks: Iterable[Sequence[PushMessage]]) -> list[SendResult]:
        """send_batch() for messages handed over a chunk at a time (transports.base.send_stream): the next
        chunk is taken when fewer than AHEAD requests are left to finish, so that at any moment at most one
        chunk and AHEAD requests are waiting or in flight."""
        try:
            service = self._messaging()
            self._ensure_token(service)
        except (OSError, ValueError, google.auth.exceptions.GoogleAuthError) as error:  # nothing has left
            code = "auth" if isinstance(error, google.auth.exceptions.GoogleAuthError) else "credentials"
            logger.error("FCM %s unusable (%s): pushes kept for later", code, type(error).__name__)
            return [kept_for_later(m.key, code) for chunk in chunks for m in chunk]
        http, pool = self._client(service)
        headers = {**self._headers, "Authorization": f"Bearer {service._credential.token}"}
        answers: list[SendResult | Future[SendResult]] = []
        posted: list[Future[SendResult]] = []
        remaining = iter(chunks)
        while True:
            # Room first (taking the chunk is what claims it): the pool runs requests in the order given, so
            # once the AHEAD-th last is done, every request before it has started and fewer than AHEAD are
            # left, enough to keep the pool busy while the next chunk is claimed (a database commit). One
            # future waited on per chunk: waiting for the first of all to finish costs O(pool) each time.
            if len(posted) >= AHEAD:
                wait([posted[-AHEAD]])
            if (chunk := next(remaining, None)) is None:
                break
            for message in chunk:
                try:
                    body = self._body(message)
                except (ValueError, TypeError) as error:  # e.g. data values that are not strings: ours, not FCM's
                    logger.error("push %s not encodable: %s", message.key, error)
                    answers.append(SendResult(message.key, Outcome.PERMANENT, error_code="not_encodable"))
                    continue
                answers.append(future := pool.submit(self._post, service, http, headers, message.key, body))
                posted.append(future)
        return [answer if isinstance(answer, SendResult) else answer.result() for answer in answers]

    def _post(self, service: Any, http: urllib3.HTTPConnectionPool, headers: dict[str, str], key: str,
              body: bytes) -> SendResult:  # fmt: skip
        try:
            response = http.urlopen("POST", self._path, body=body, headers=headers, retries=RETRY,
                                    timeout=self._timeout, redirect=False, assert_same_host=False)  # fmt: skip
        except urllib3.exceptions.HTTPError as error:
            return classify(key, service._handle_fcm_error(_as_requests_error(error)))
        if response.status < 300:
            try:
                return SendResult(key, Outcome.SENT, provider_id=str(json.loads(response.data).get("name") or ""))
            except (ValueError, AttributeError):  # accepted, but we cannot read its id
                return SendResult(key, Outcome.SENT)
        # The SDK's own mapping of an error answer (google.rpc status, FcmError details), then ours.
        return classify(key, service._handle_fcm_error(_as_http_error(response)))


def _as_http_error(answer: urllib3.BaseHTTPResponse) -> requests.HTTPError:
    """The error answer as the requests.HTTPError the SDK's error handler reads (status, body, headers)."""
    response = requests.Response()
    response.status_code = answer.status
    response._content = answer.data
    response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
    response.encoding = "utf-8"
    return requests.HTTPError(f"{answer.status} error answer", response=response)


def _as_requests_error(error: urllib3.exceptions.HTTPError) -> requests.RequestException:
    """What requests' HTTPAdapter raises for the same urllib3 failure (network_outcome reads these)."""
    if isinstance(error, urllib3.exceptions.MaxRetryError):
        if isinstance(error.reason, urllib3.exceptions.ConnectTimeoutError):
            return requests.ConnectTimeout(error)  # includes NewConnectionError: refused, unresolvable
        if isinstance(error.reason, urllib3.exceptions.ResponseError):
            return requests.exceptions.RetryError(error)
        return requests.ConnectionError(error)
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return requests.ReadTimeout(error)
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return requests.ConnectTimeout(error)
    return requests.ConnectionError(error)

def fcm_backend() -> FcmPushBackend:
    """PUSH_BACKEND=fcm: the lean path (FCM_TRANSPORT=fast, the default) or firebase-admin's send_each (sdk)."""
    transport = settings.FCM_TRANSPORT
    if transport not in ("fast", "sdk"):
        raise ValueError(f"FCM_TRANSPORT must be fast or sdk, not {transport!r}")
    return FastFcmPushBackend() if transport == "fast" else FcmPushBackend()
