"""Push through FCM HTTP v1 with libcurl's multi interface (pycurl): FCM_TRANSPORT=curl.

What the lean urllib3 path (fcm_fast) spends per push is mostly Python: urllib3's request and response
objects, http.client's header parsing, a future and a thread handoff per request, and 32 threads taking turns
at the GIL. Here the HTTP work is libcurl's, in C, driven from the calling thread alone: no thread pool, one
multi handle per process whose connection cache stays warm between calls. Over TLS (FCM itself) libcurl
negotiates HTTP/2 by ALPN and multiplexes the requests in flight over one connection; on plain HTTP (the fake
provider on loopback) FCM_HTTP2=true asks for HTTP/2 with prior knowledge (h2c), otherwise HTTP/1.1 over
IN_FLIGHT keep-alive connections.

Same credentials, encoding and answers as fcm_fast (its base class): google-auth's token, fcm_wire's JSON with
the token spliced in, fcm_wire's reading of FCM's answers. Same retry policy: one quick retry when FCM answers
500 or 503 or when the connection could not be made, never once a request may have left. A failure without an
answer is TRANSIENT when nothing of the request was sent (libcurl counts the bytes it sent), UNKNOWN otherwise.
"""

import logging
import os
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import google.auth.exceptions
import pycurl
from django.conf import settings

from . import fcm_wire
from .base import Outcome, PushMessage, SendResult
from .fcm_fast import API_FORMAT_HEADERS, FastFcmPushBackend
from .fcm_wire import kept_for_later

logger = logging.getLogger(__name__)

IN_FLIGHT = 64  # requests in flight per process (HTTP/2 streams, or HTTP/1.1 connections)
AHEAD = 2 * IN_FLIGHT  # send_stream takes the next chunk when fewer requests than this are left
# Nothing of the request left: the connection was never made.
_NOT_CONNECTED = frozenset({pycurl.E_COULDNT_CONNECT, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_RESOLVE_PROXY})
_RETRIED_STATUS = (500, 503)


@dataclass(eq=False)
class _Transfer:
    """One easy handle and the request it carries now (handles are reused: libcurl keeps their state warm)."""

    handle: pycurl.Curl
    body: list[bytes] = field(default_factory=list)
    headers: list[bytes] = field(default_factory=list)
    index: int = 0
    key: str = ""
    payload: bytes = b""  # the request in flight; empty while the transfer is idle
    tried: int = 0
    header_lines: list[str] | None = None  # the HTTPHEADER last set on the handle


class CurlFcmPushBackend(FastFcmPushBackend):
    """fcm_fast's credentials and encoding; libcurl's multi interface for the requests."""

    def __init__(self) -> None:
        super().__init__()
        self._multi: pycurl.CurlMulti | None = None
        self._idle: list[_Transfer] = []
        self._transfer_of: dict[pycurl.Curl, _Transfer] = {}
        self._curl_pid = os.getpid()

    def _transfers(self, project_id: str) -> pycurl.CurlMulti:
        if self._curl_pid != os.getpid():  # forked after first use: the connections stay with the parent
            self._multi, self._idle, self._transfer_of, self._curl_pid = None, [], {}, os.getpid()
        if self._multi is None:
            self._url = fcm_wire.send_url(settings.FCM_API_BASE_URL, project_id)
            multi = pycurl.CurlMulti()
            multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, IN_FLIGHT)
            self._idle = [self._new_transfer() for _ in range(IN_FLIGHT)]
            self._multi = multi
        return self._multi

    def _new_transfer(self) -> _Transfer:
        handle = pycurl.Curl()
        transfer = self._transfer_of[handle] = _Transfer(handle)
        timeout_ms = int(settings.FCM_TIMEOUT_SECONDS * 1000)
        version = pycurl.CURL_HTTP_VERSION_1_1
        if settings.FCM_HTTP2:
            tls = self._url.startswith("https:")
            version = pycurl.CURL_HTTP_VERSION_2TLS if tls else pycurl.CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
        for option, value in ((pycurl.URL, self._url), (pycurl.POST, 1), (pycurl.NOSIGNAL, 1),
                              (pycurl.HTTP_VERSION, version), (pycurl.PIPEWAIT, 1),
                              (pycurl.CONNECTTIMEOUT_MS, timeout_ms), (pycurl.TIMEOUT_MS, timeout_ms),
                              (pycurl.WRITEFUNCTION, transfer.body.append),
                              (pycurl.HEADERFUNCTION, transfer.headers.append)):  # fmt: skip
            handle.setopt(option, value)
        return transfer

    def send_stream(self, chunks: Iterable[Sequence[PushMessage]]) -> list[SendResult]:
        """send_batch() for messages handed over a chunk at a time (providers.base.send_stream): the next chunk
        is taken when fewer than AHEAD requests are left to finish."""
        try:
            credential = self.credentials()
            token = self._ensure_token(credential)
        except (OSError, ValueError, google.auth.exceptions.GoogleAuthError) as error:  # nothing has left
            code = "auth" if isinstance(error, google.auth.exceptions.GoogleAuthError) else "credentials"
            logger.error("FCM %s unusable (%s): pushes kept for later", code, type(error).__name__)
            return [kept_for_later(m.key, code) for chunk in chunks for m in chunk]
        multi = self._transfers(credential.project_id)
        header_lines = [f"{name}: {value}" for name, value in API_FORMAT_HEADERS.items()]
        header_lines += ["Content-Type: application/json", "Accept: */*", "Expect:", f"Authorization: Bearer {token}"]
        run = _Run(self, multi, header_lines)
        remaining = iter(chunks)
        try:
            while True:
                run.start_waiting()
                if run.left() < AHEAD and (chunk := next(remaining, None)) is not None:
                    run.queue(chunk)  # taking the chunk is what claims it: only when the pipe runs low
                    continue
                if not run.left():
                    break
                run.step()
        finally:
            run.abandon()  # the caller raised (taking a chunk failed): no transfer of this call lives on
        return run.results()


class _Run:
    """One send_stream call: the messages waiting, the transfers in flight, the results in order."""

    def __init__(self, backend: CurlFcmPushBackend, multi: pycurl.CurlMulti, header_lines: list[str]) -> None:
        self.backend, self.multi, self.header_lines = backend, multi, header_lines
        self.waiting: deque[tuple[int, str, bytes]] = deque()
        self.answers: list[SendResult | None] = []
        self.active = 0

    def left(self) -> int:
        return len(self.waiting) + self.active

    def queue(self, chunk: Sequence[PushMessage]) -> None:
        for message in chunk:
            index = len(self.answers)
            self.answers.append(None)
            try:
                self.waiting.append((index, message.key, self.backend._body(message)))
            except (ValueError, TypeError) as error:  # e.g. data values that are not strings: ours, not FCM's
                logger.error("push %s not encodable: %s", message.key, error)
                self.answers[index] = SendResult(message.key, Outcome.PERMANENT, error_code="not_encodable")

    def start_waiting(self) -> None:
        idle = self.backend._idle
        while self.waiting and idle:
            index, key, payload = self.waiting.popleft()
            self._start(idle.pop(), index, key, payload, tried=0)

    def _start(self, transfer: _Transfer, index: int, key: str, payload: bytes, tried: int) -> None:
        transfer.index, transfer.key, transfer.payload, transfer.tried = index, key, payload, tried
        transfer.body.clear()
        transfer.headers.clear()
        handle = transfer.handle
        if transfer.header_lines is not self.header_lines:  # a new call: a new token maybe
            handle.setopt(pycurl.HTTPHEADER, self.header_lines)
            transfer.header_lines = self.header_lines
        handle.setopt(pycurl.POSTFIELDS, payload)
        self.multi.add_handle(handle)
        self.active += 1

    def step(self) -> None:
        """Let libcurl move every transfer on, then settle the finished ones (or wait for the network)."""
        while self.multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        finished = 0
        while True:
            queued, done, failed = self.multi.info_read()
            transfer_of = self.backend._transfer_of
            for handle in done:
                self._answered(transfer_of[handle])
            for handle, errno, _text in failed:
                self._failed(transfer_of[handle], errno)
            finished += len(done) + len(failed)
            if not queued:
                break
        if not finished:
            self.multi.select(1.0)

    def _finish(self, transfer: _Transfer, result: SendResult | None) -> None:
        """The transfer's handle is free again; result None: send the same request once more."""
        self.multi.remove_handle(transfer.handle)
        self.active -= 1
        if result is None:
            self._start(transfer, transfer.index, transfer.key, transfer.payload, transfer.tried + 1)
            return
        self.answers[transfer.index] = result
        transfer.payload = b""
        self.backend._idle.append(transfer)

    def _answered(self, transfer: _Transfer) -> None:
        status = transfer.handle.getinfo(pycurl.RESPONSE_CODE)
        content = b"".join(transfer.body)
        if status < 300:
            self._finish(transfer, fcm_wire.accepted(transfer.key, content))
        elif status in _RETRIED_STATUS and not transfer.tried:  # FCM did not take it: once more, at once
            self._finish(transfer, None)
        else:
            retry_after = _header(transfer.headers, b"retry-after")
            self._finish(transfer, fcm_wire.answer_result(transfer.key, status, content, retry_after))

    def _failed(self, transfer: _Transfer, errno: int) -> None:
        never_left = errno in _NOT_CONNECTED or not transfer.handle.getinfo(pycurl.REQUEST_SIZE)
        if errno in _NOT_CONNECTED and not transfer.tried:
            self._finish(transfer, None)
            return
        outcome = Outcome.TRANSIENT if never_left else Outcome.UNKNOWN
        self._finish(transfer, fcm_wire.no_answer(transfer.key, outcome))

    def abandon(self) -> None:
        """Take back the transfers still in flight: the multi handle must not finish them in a later call, under
        that call's indexes. Their requests may have left: the caller, which raised, decides what they are."""
        for transfer in [t for t in self.backend._transfer_of.values() if t.payload]:
            self.multi.remove_handle(transfer.handle)
            transfer.payload = b""
            self.backend._idle.append(transfer)
        self.active = 0

    def results(self) -> list[SendResult]:
        missing = [index for index, answer in enumerate(self.answers) if answer is None]
        if missing:
            raise RuntimeError(f"{len(missing)} pushes have no result")
        return [answer for answer in self.answers if answer is not None]


def _header(lines: list[bytes], name: bytes) -> str | None:
    """The last value of a response header (the last response's, after an informational one)."""
    value = None
    for line in lines:
        head, colon, rest = line.partition(b":")
        if colon and head.strip().lower() == name:
            value = rest.strip().decode("latin-1")
    return value
