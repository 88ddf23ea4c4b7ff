"""Push through FCM HTTP v1 with libcurl's multi interface (pycurl): FCM_TRANSPORT=curl.

What the lean urllib3 path (fcm_fast) spends per push is mostly Python: urllib3's request and response
objects, http.client's header parsing, a future and a thread handoff per request, and 32 threads taking turns
at the GIL. Here the HTTP work is libcurl's, in C, driven by one thread per process (no pool) that owns the
multi handle, whose connection cache stays warm between calls. The caller hands it requests a chunk at a time
and waits; its own work between chunks (claiming the next one: a database commit) no longer stops the
requests in flight, as it did when the caller drove libcurl itself (18 % of a push worker's time, profiled).

HTTP/1.1 over IN_FLIGHT keep-alive connections by default; FCM_HTTP2=true multiplexes the requests in flight
over one HTTP/2 connection (negotiated by ALPN over TLS, with prior knowledge (h2c) on plain HTTP, the loopback
fake). bench/fcm_clients.py measured HTTP/2 dearer per push in this client than HTTP/1.1 (libcurl's framing and
HPACK), both far below urllib3's: hence the default.

Same credentials, encoding and answers as fcm_fast (its base class): google-auth's token, fcm_wire's JSON with
the token spliced in, fcm_wire's reading of FCM's answers. Same retry policy: one quick retry when FCM answers
500 or 503 or when the connection could not be made, never once a request may have left. A failure without an
answer is TRANSIENT when nothing of the request was sent (libcurl counts the bytes it sent), UNKNOWN otherwise.
"""

import logging
import os
import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pycurl
from django.conf import settings

from . import fcm_wire
from .base import Outcome, PushMessage, SendResult, Settled
from .fcm_fast import API_FORMAT_HEADERS, FastFcmPushBackend

logger = logging.getLogger(__name__)

IN_FLIGHT = 32  # requests in flight per process (HTTP/2 streams, or HTTP/1.1 connections)
AHEAD = 2 * IN_FLIGHT  # send_stream takes the next chunk when fewer requests than this are left
# Nothing of the request left: the connection was never made.
_NOT_CONNECTED = frozenset({pycurl.E_COULDNT_CONNECT, pycurl.E_COULDNT_RESOLVE_HOST, pycurl.E_COULDNT_RESOLVE_PROXY})
_RETRIED_STATUS = (500, 503)


@dataclass(eq=False)
class _Run:
    """One send_stream call: its request headers, its results in order, how many are not settled yet, and its
    chunks (where each starts in `answers`, how many of its requests are not settled, how many were reported)."""

    header_lines: list[str]
    settled: Settled | None = None
    answers: list[SendResult | None] = field(default_factory=list)
    left: int = 0  # handed to the loop, not settled
    limit: int = 0  # the caller waits until left < limit
    starts: list[int] = field(default_factory=list)
    unsettled: list[int] = field(default_factory=list)
    reported: int = 0

    def complete(self) -> list[int]:
        """The chunks not reported yet whose every result is in, in order, up to the first still in flight."""
        if self.settled is None:
            return []
        end = self.reported
        while end < len(self.starts) and not self.unsettled[end]:
            end += 1
        return list(range(self.reported, end))

    def results(self, chunk: int) -> list[SendResult]:
        end = self.starts[chunk + 1] if chunk + 1 < len(self.starts) else len(self.answers)
        return [answer for answer in self.answers[self.starts[chunk]:end] if answer is not None]


@dataclass(eq=False)
class _Transfer:
    """One easy handle and the request it carries now (handles are reused: libcurl keeps their state warm)."""

    handle: pycurl.Curl
    body: list[bytes] = field(default_factory=list)
    headers: list[bytes] = field(default_factory=list)
    run: _Run | None = None
    index: int = 0
    key: str = ""
    payload: bytes = b""
    tried: int = 0
    header_lines: list[str] | None = None  # the HTTPHEADER last set on the handle


class CurlFcmPushBackend(FastFcmPushBackend):
    """fcm_fast's credentials and encoding; libcurl's multi interface, in a thread of its own, for the requests."""

    def __init__(self) -> None:
        super().__init__()
        self._loop: _Loop | None = None
        self._loop_lock = threading.Lock()

    def _io(self, project_id: str) -> "_Loop":
        """The process's loop (a new one after a fork: the thread and connections stay with the parent)."""
        url = fcm_wire.send_url(settings.FCM_API_BASE_URL, project_id)
        with self._loop_lock:
            loop = self._loop
            if loop is None or loop.pid != os.getpid() or loop.failed is not None or loop.url != url:
                loop = self._loop = _Loop(url)
        return loop

    def send_stream(self, chunks: Iterable[Sequence[PushMessage]]) -> list[SendResult]:
        """send_batch() for messages handed over a chunk at a time (providers.base.send_stream): the next chunk
        is taken when fewer than AHEAD requests are left to finish."""
        return self.send_settling(chunks, None)

    def send_settling(self, chunks: Iterable[Sequence[PushMessage]], settled: Settled | None) -> list[SendResult]:
        """send_stream() that also hands each chunk's results to `settled` (providers.base.send_stream) as soon
        as they are all in, while the later chunks' requests are in flight."""
        authorised = self._authorised(chunks)
        if isinstance(authorised, list):
            return authorised
        credential, token = authorised
        loop = self._io(credential.project_id)
        header_lines = [f"{name}: {value}" for name, value in API_FORMAT_HEADERS.items()]
        header_lines += ["Content-Type: application/json", "Accept: */*", "Expect:", f"Authorization: Bearer {token}"]
        run = _Run(header_lines, settled)
        try:
            for chunk in _lazily(chunks, lambda: _pump(loop, run, AHEAD)):  # taking a chunk claims it: when needed
                loop.submit(run, self._requests(run, chunk))
            _pump(loop, run, 1)
        finally:
            loop.abandon(run)  # a no-op unless the caller raised (taking a chunk failed): then nothing more leaves
        missing = sum(answer is None for answer in run.answers)
        if missing:
            raise RuntimeError(f"{missing} pushes have no result")
        _report(run, run.complete())
        return [answer for answer in run.answers if answer is not None]

    def _requests(self, run: _Run, chunk: Sequence[PushMessage]) -> list[tuple[int, str, bytes]]:
        """The chunk's request bodies by result index; a message that cannot be encoded is settled here.
        Registers the chunk before the loop sees any of its requests."""
        run.starts.append(len(run.answers))
        requests = []
        for message in chunk:
            index = len(run.answers)
            run.answers.append(None)
            try:
                requests.append((index, message.key, self._body(message)))
            except (ValueError, TypeError) as error:  # e.g. data values that are not strings: ours, not FCM's
                logger.error("push %s not encodable: %s", message.key, error)
                run.answers[index] = SendResult(message.key, Outcome.PERMANENT, error_code="not_encodable")
        run.unsettled.append(len(requests))
        return requests


def _pump(loop: "_Loop", run: _Run, limit: int) -> None:
    """Until fewer than `limit` of the run's requests are left, handing each chunk whose results are all in to
    the caller's `settled` meanwhile (in the caller's thread: it records them in its database)."""
    while done := loop.wait(run, limit):
        _report(run, done)


def _report(run: _Run, chunks: list[int]) -> None:
    if run.settled is None:
        return
    for chunk in chunks:
        run.reported = chunk + 1
        run.settled(chunk, run.results(chunk))


def _lazily(chunks: Iterable[Sequence[PushMessage]], before_each: Callable[[], None]) -> Iterator[Sequence[PushMessage]]:
    """The chunks, each taken only once before_each() has returned."""
    remaining = iter(chunks)
    while True:
        before_each()
        chunk = next(remaining, None)
        if chunk is None:
            return
        yield chunk


class _Loop:
    """The thread that drives libcurl: it alone touches the multi handle and its transfers; callers hand it
    requests and wait for their results under one condition."""

    def __init__(self, url: str) -> None:
        self.pid, self.url = os.getpid(), url
        self.cond = threading.Condition()
        self.waiting: deque[tuple[_Run, int, str, bytes]] = deque()
        self.failed: BaseException | None = None
        self.multi = pycurl.CurlMulti()
        self.multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, IN_FLIGHT)
        self.transfer_of: dict[pycurl.Curl, _Transfer] = {}
        self.idle = [self._new_transfer() for _ in range(IN_FLIGHT)]
        self.active = 0
        threading.Thread(target=self._serve, name="fcm-curl", daemon=True).start()

    def _new_transfer(self) -> _Transfer:
        handle = pycurl.Curl()
        transfer = self.transfer_of[handle] = _Transfer(handle)
        timeout_ms = int(settings.FCM_TIMEOUT_SECONDS * 1000)
        version = pycurl.CURL_HTTP_VERSION_1_1
        if settings.FCM_HTTP2:
            tls = self.url.startswith("https:")
            version = pycurl.CURL_HTTP_VERSION_2TLS if tls else pycurl.CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
        for option, value in ((pycurl.URL, self.url), (pycurl.POST, 1), (pycurl.NOSIGNAL, 1),
                              (pycurl.HTTP_VERSION, version), (pycurl.PIPEWAIT, 1),
                              (pycurl.CONNECTTIMEOUT_MS, timeout_ms), (pycurl.TIMEOUT_MS, timeout_ms),
                              (pycurl.WRITEFUNCTION, transfer.body.append),
                              (pycurl.HEADERFUNCTION, transfer.headers.append)):  # fmt: skip
            handle.setopt(option, value)
        return transfer

    # --- the callers' side ----------------------------------------------------------------
    def submit(self, run: _Run, requests: list[tuple[int, str, bytes]]) -> None:
        """Requests of one chunk, by result index (the chunk starts at its first result's index)."""
        with self.cond:
            self._raise_if_failed()
            run.left += len(requests)
            self.waiting.extend((run, index, key, payload) for index, key, payload in requests)
            self.cond.notify_all()

    def wait(self, run: _Run, limit: int) -> list[int]:
        """Until fewer than `limit` of the run's requests are left to settle (then []: the caller hands over more
        work first), or until chunks' results are all in (then those chunks)."""
        with self.cond:
            run.limit = limit
            while run.left >= limit:
                self._raise_if_failed()
                if done := run.complete():
                    return done
                self.cond.wait()
        return []

    def abandon(self, run: _Run) -> None:
        """Requests of the run not started yet never leave; those in flight finish into the run, unread."""
        with self.cond:
            self.waiting = deque(item for item in self.waiting if item[0] is not run)

    def _raise_if_failed(self) -> None:
        if self.failed is not None:
            raise RuntimeError("the FCM transfer thread stopped") from self.failed

    # --- the loop's thread ----------------------------------------------------------------
    def _serve(self) -> None:
        try:
            while True:
                self._start_waiting()
                self._step()
        except BaseException as error:  # the callers must not wait for ever: they raise, the next call starts anew
            logger.exception("FCM transfer thread stopped")
            with self.cond:
                self.failed = error
                self.cond.notify_all()

    def _start_waiting(self) -> None:
        with self.cond:
            while not self.waiting and not self.active:
                self.cond.wait()
            starts = [(self.idle.pop(), self.waiting.popleft()) for _ in range(min(len(self.idle), len(self.waiting)))]
        for transfer, (run, index, key, payload) in starts:
            self._start(transfer, run, index, key, payload, tried=0)

    def _start(self, transfer: _Transfer, run: _Run, index: int, key: str, payload: bytes, tried: int) -> None:
        transfer.run, transfer.index, transfer.key, transfer.payload, transfer.tried = run, index, key, payload, tried
        transfer.body.clear()
        transfer.headers.clear()
        handle = transfer.handle
        if transfer.header_lines is not run.header_lines:  # a new call: a new token maybe
            handle.setopt(pycurl.HTTPHEADER, run.header_lines)
            transfer.header_lines = run.header_lines
        handle.setopt(pycurl.POSTFIELDS, payload)
        self.multi.add_handle(handle)
        self.active += 1

    def _step(self) -> None:
        """Let libcurl move every transfer on, then settle the finished ones (or wait a little for the network:
        not long, since new requests may be handed over meanwhile)."""
        while self.multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        settled: list[tuple[_Run, int, SendResult]] = []
        while True:
            queued, done, failed = self.multi.info_read()
            for handle in done:
                self._settle(self.transfer_of[handle], self._answered(self.transfer_of[handle]), settled)
            for handle, errno, _text in failed:
                self._settle(self.transfer_of[handle], self._failed(self.transfer_of[handle], errno), settled)
            if not queued:
                break
        if not settled:
            self.multi.select(0.01)
            return
        with self.cond:
            wake = False
            for run, index, result in settled:
                run.answers[index] = result
                run.left -= 1
                chunk = bisect_right(run.starts, index) - 1
                run.unsettled[chunk] -= 1
                ready = run.settled is not None and chunk == run.reported and not run.unsettled[chunk]
                wake = wake or ready or run.left < run.limit
            if wake:
                self.cond.notify_all()

    def _settle(self, transfer: _Transfer, result: SendResult | None, settled: list[tuple[_Run, int, SendResult]]) -> None:
        """The transfer's handle is free again; result None: the same request once more."""
        self.multi.remove_handle(transfer.handle)
        self.active -= 1
        run = transfer.run
        assert run is not None  # noqa: S101 - a transfer in flight always carries its run
        if result is None:
            self._start(transfer, run, transfer.index, transfer.key, transfer.payload, transfer.tried + 1)
            return
        settled.append((run, transfer.index, result))
        transfer.run, transfer.payload = None, b""
        self.idle.append(transfer)

    def _answered(self, transfer: _Transfer) -> SendResult | None:
        status = transfer.handle.getinfo(pycurl.RESPONSE_CODE)
        content = b"".join(transfer.body)
        if status < 300:
            return fcm_wire.accepted(transfer.key, content)
        if status in _RETRIED_STATUS and not transfer.tried:  # FCM did not take it: once more, at once
            return None
        retry_after = _header(transfer.headers, b"retry-after")
        return fcm_wire.answer_result(transfer.key, status, content, retry_after)

    def _failed(self, transfer: _Transfer, errno: int) -> SendResult | None:
        if errno in _NOT_CONNECTED and not transfer.tried:
            return None
        never_left = errno in _NOT_CONNECTED or not transfer.handle.getinfo(pycurl.REQUEST_SIZE)
        return fcm_wire.no_answer(transfer.key, Outcome.TRANSIENT if never_left else Outcome.UNKNOWN)


def _header(lines: list[bytes], name: bytes) -> str | None:
    """The last value of a response header (the last response's, after an informational one)."""
    value = None
    for line in lines:
        head, colon, rest = line.partition(b":")
        if colon and head.strip().lower() == name:
            value = rest.strip().decode("latin-1")
    return value
