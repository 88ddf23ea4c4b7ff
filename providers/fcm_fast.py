"""Push through FCM HTTP v1 without the SDK over urllib3 and threads (PUSH_BACKEND=fcm, FCM_TRANSPORT=fast;
the default, FCM_TRANSPORT=curl, is fcm_curl, which inherits its credentials and encoding from here;
FCM_TRANSPORT=sdk keeps firebase-admin's send_each, fcm_push).

Public APIs only. The access token comes from google-auth's public service-account credentials
(`google.oauth2.service_account.Credentials.from_service_account_file` with the FCM scope: the file's
`token_uri` is honoured, refreshed when expired, one token request per process), the project from the same
file; the request and the meaning of FCM's answers follow the documented wire format (fcm_wire: the message
JSON, the google.rpc.Status error answers with their FcmError details, Retry-After), by the same rules the SDK
path reads its errors with. What firebase-admin's `send_each` does not do well at volume: a new pool of up to
500 threads per call and a fresh `requests` preparation per message, about 1.5 ms of CPU each.

Here one backend owns one keep-alive urllib3 connection pool (POOL_SIZE connections, the same retry policy as
the SDK path: one quick retry on 500/503, never after a read error; requests' per-call preparation was most of
the client's CPU) and one persistent pool of POOL_SIZE threads. Network failures are read as requests'
adapter would raise them (errors.network_outcome, shared with Twilio). Messages that differ only by their token
(a broadcast) are encoded once; each request body is that JSON with the token spliced in.

Outcomes of a whole-batch failure are those of the SDK path: no access token → every message
TRANSIENT (nothing has left); per-message network errors: connection refused → TRANSIENT, read timeout →
UNKNOWN, never resent.
"""

import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait

import google.auth.exceptions
import google.auth.transport.requests
import requests
import urllib3
from django.conf import settings
from google.oauth2 import service_account

from . import fcm_wire
from .base import Outcome, PushMessage, SendResult
from .fcm_push import RETRY
from .fcm_wire import kept_for_later

logger = logging.getLogger(__name__)

POOL_SIZE = 32  # requests in flight per process (threads and keep-alive connections)
AHEAD = 2 * POOL_SIZE  # send_stream takes the next chunk when fewer requests than this are left
_TOKEN_MARK = "\x00vigilants-token\x00"  # noqa: S105 - a placeholder, not a secret
# As firebase-admin sends it: FCM's error answers in the format fcm_wire reads (google.rpc.Status, details).
API_FORMAT_HEADERS = {"X-GOOG-API-FORMAT-VERSION": "2"}

_credentials: dict[str, service_account.Credentials] = {}
_credentials_lock = threading.Lock()


def service_account_credentials(path: str) -> service_account.Credentials:
    """The process's credentials for one service-account file (one access token for all its backends).
    OSError or ValueError when the file is missing, not JSON or not a service account."""
    with _credentials_lock:
        credential = _credentials.get(path)
        if credential is None:
            credential = service_account.Credentials.from_service_account_file(path, scopes=[fcm_wire.SCOPE])
            if not credential.project_id:
                raise ValueError("the service-account file has no project_id")
            _credentials[path] = credential
    return credential


class FastFcmPushBackend:
    """google-auth's credentials, fcm_wire's encoding and error mapping, our own pooled HTTP client."""

    def __init__(self) -> None:
        self._http: urllib3.HTTPConnectionPool | None = None
        self._path = ""
        self._pool: ThreadPoolExecutor | None = None
        self._url = ""
        self._headers: dict[str, str] = {}
        self._timeout = urllib3.Timeout(connect=10.0, read=10.0)
        self._templates: dict[tuple[object, ...], tuple[str, str] | ValueError] = {}
        self._lock = threading.Lock()
        self._request = google.auth.transport.requests.Request()
        self._pid = os.getpid()

    # --- credentials: google-auth's public service-account credentials -------------------------
    def credentials(self) -> service_account.Credentials:
        return service_account_credentials(settings.FIREBASE_CREDENTIALS)

    def _ensure_token(self, credential: service_account.Credentials) -> str:
        """A valid access token, refreshed first when needed: a token failure means nothing was sent."""
        if not credential.valid:
            with self._lock:
                if not credential.valid:
                    credential.refresh(self._request)
        return str(credential.token)

    def _authorised(
        self, chunks: Iterable[Sequence[PushMessage]]
    ) -> tuple[service_account.Credentials, str] | list[SendResult]:
        """The credentials and a valid token, or, when they cannot be had, every message kept for later (nothing
        has left): what every transport's call starts with."""
        try:
            credential = self.credentials()
            return credential, self._ensure_token(credential)
        except (OSError, ValueError, google.auth.exceptions.GoogleAuthError) as error:
            code = "auth" if isinstance(error, google.auth.exceptions.GoogleAuthError) else "credentials"
            logger.error("FCM %s unusable (%s): pushes kept for later", code, type(error).__name__)
            return [kept_for_later(m.key, code) for chunk in chunks for m in chunk]

    # --- the client, once per process ---------------------------------------------------------
    def _client(self, project_id: str) -> tuple[urllib3.HTTPConnectionPool, ThreadPoolExecutor]:
        if self._pid != os.getpid():  # forked after first use: threads and sockets stay with the parent
            self._http, self._pool, self._pid = None, None, os.getpid()
        if self._http is None or self._pool is None:
            with self._lock:
                if self._http is None or self._pool is None:
                    timeout = settings.FCM_TIMEOUT_SECONDS
                    self._url = fcm_wire.send_url(settings.FCM_API_BASE_URL, project_id)
                    proxy = requests.utils.get_environ_proxies(self._url).get(self._url.split(":", 1)[0])
                    manager = (urllib3.ProxyManager(proxy, num_pools=2, maxsize=POOL_SIZE, block=True)
                               if proxy else urllib3.PoolManager(num_pools=2, maxsize=POOL_SIZE, block=True))
                    self._path = self._url if proxy else urllib3.util.parse_url(self._url).request_uri
                    self._timeout = urllib3.Timeout(connect=timeout, read=timeout)
                    self._headers = {**API_FORMAT_HEADERS, "Content-Type": "application/json",
                                     "User-Agent": requests.utils.default_user_agent(), "Accept": "*/*"}
                    self._pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="fcm")
                    self._http = manager.connection_from_url(self._url)
        return self._http, self._pool

    # --- encoding: once per distinct content ---------------------------------------------------
    def _body(self, message: PushMessage) -> bytes:
        """The request body, or ValueError when the message cannot be encoded."""
        if not isinstance(message.token, str) or not message.token:
            raise ValueError("Message.token must be a non-empty string.")
        key = (message.title, message.body, tuple(message.data.items()), message.collapse_key, message.urgent)
        template = self._templates.get(key)
        if template is None:
            try:
                marked = PushMessage(message.key, _TOKEN_MARK, message.title, message.body, dict(message.data),
                                     message.collapse_key, message.urgent)  # fmt: skip
                prefix, _, suffix = json.dumps({"message": fcm_wire.encode(marked)}).partition(json.dumps(_TOKEN_MARK))
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
    def send_batch(self, messages: Sequence[PushMessage]) -> list[SendResult]:
        return self.send_stream([messages])

    def send_stream(self, chunks: Iterable[Sequence[PushMessage]]) -> list[SendResult]:
        """send_batch() for messages handed over a chunk at a time (transports.base.send_stream): the next
        chunk is taken when fewer than AHEAD requests are left to finish, so that at any moment at most one
        chunk and AHEAD requests are waiting or in flight."""
        authorised = self._authorised(chunks)
        if isinstance(authorised, list):
            return authorised
        credential, token = authorised
        http, pool = self._client(credential.project_id)
        headers = {**self._headers, "Authorization": f"Bearer {token}"}
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
                answers.append(future := pool.submit(self._post, http, headers, message.key, body))
                posted.append(future)
        return [answer if isinstance(answer, SendResult) else answer.result() for answer in answers]

    def _post(self, http: urllib3.HTTPConnectionPool, headers: dict[str, str], key: str, body: bytes) -> SendResult:
        try:
            response = http.urlopen("POST", self._path, body=body, headers=headers, retries=RETRY,
                                    timeout=self._timeout, redirect=False, assert_same_host=False)  # fmt: skip
        except urllib3.exceptions.HTTPError as error:
            return fcm_wire.network_result(key, _as_requests_error(error))
        if response.status < 300:
            return fcm_wire.accepted(key, response.data)
        return fcm_wire.answer_result(key, response.status, response.data, response.headers.get("Retry-After"))


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
