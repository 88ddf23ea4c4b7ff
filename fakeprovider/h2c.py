"""HTTP/2 over cleartext with prior knowledge (h2c, RFC 9113 §3.3): FCM's requests as a client multiplexes them.

FCM itself speaks HTTP/2 over TLS; on loopback there is no TLS to negotiate it with, so a client that wants
HTTP/2 here opens with HTTP/2's connection preface and the server answers in HTTP/2 on the same port (the
HTTP/1.1 handler looks at the first bytes). The requests are answered by the same code as over HTTP/1.1
(server.answer_post), so the wire format, faults and records are the same. POST only: the test endpoints'
GETs stay on HTTP/1.1.

Requests are answered in the connection's thread as they complete, but those that wait (latency, slow
tokens) get a thread of their own: a stream that sleeps must not hold up the others, as at FCM.
"""

import _thread
import json
import threading
from collections.abc import Callable
from io import BufferedIOBase
from typing import TYPE_CHECKING, Any, cast

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from .faults import token_behaviour

if TYPE_CHECKING:
    import socket

    from .server import FakeProvider

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
AnswerPost = Callable[["FakeProvider", str, Any, bytes, str], tuple[int, Any, dict[str, str]]]


class _Headers(dict[str, str]):
    """HTTP/2 header names are lower case on the wire: looked up in any case, as HTTP/1.1's are."""

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


def starts_http2(rfile: BufferedIOBase) -> bool:
    peek = getattr(rfile, "peek", None)
    return peek is not None and peek(len(PREFACE)).startswith(PREFACE[:14])


def serve(provider: "FakeProvider", rfile: BufferedIOBase, sock: "socket.socket", answer_post: AnswerPost) -> None:
    """One HTTP/2 connection, until the client closes it; answer_post: server.answer_post (passed in, since the
    server module imports this one)."""
    connection = _Connection(provider, sock, answer_post)
    while data := rfile.read1(65536):
        try:
            connection.received(data)
        except h2.exceptions.ProtocolError:
            connection.flush()
            return
        if connection.closed:
            return


class _Connection:
    def __init__(self, provider: "FakeProvider", sock: "socket.socket", answer_post: AnswerPost) -> None:
        self.provider, self.sock, self.answer_post = provider, sock, answer_post
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.lock = threading.Lock()
        self.streams: dict[int, tuple[_Headers, bytearray]] = {}
        self.closed = False
        with self.lock:
            self.h2.initiate_connection()
            self.flush()

    def flush(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.sock.sendall(data)

    def received(self, data: bytes) -> None:
        complete = []
        with self.lock:
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    self.streams[event.stream_id] = (_Headers(cast(list[tuple[str, str]], event.headers)), bytearray())
                elif isinstance(event, h2.events.DataReceived):
                    self.streams[event.stream_id][1].extend(event.data)
                    self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    complete.append(event.stream_id)
                elif isinstance(event, h2.events.StreamReset):
                    self.streams.pop(event.stream_id, None)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    self.closed = True
            self.flush()
        for stream_id in complete:
            headers, body = self.streams.pop(stream_id)
            if self.provider.latency or _waits(bytes(body)):
                _thread.start_new_thread(self.answer, (stream_id, headers, bytes(body)))
            else:
                self.answer(stream_id, headers, bytes(body))

    def answer(self, stream_id: int, headers: _Headers, body: bytes) -> None:
        if headers.get(":method") == "POST":
            status, payload, extra = self.answer_post(self.provider, headers.get(":path") or "/", headers, body, "HTTP/2")
        else:
            status, payload, extra = 404, {"error": "HTTP/2 here answers POST only"}, {}
        content = json.dumps(payload).encode()
        response = [(":status", str(status)), ("content-type", "application/json"),
                    ("content-length", str(len(content))), *((k.lower(), v) for k, v in extra.items())]  # fmt: skip
        with self.lock:
            try:
                self.h2.send_headers(stream_id, response)
                self.h2.send_data(stream_id, content, end_stream=True)
                self.flush()
            except (h2.exceptions.ProtocolError, OSError):  # the client gave up on it (reset, timeout, closed)
                pass


def _waits(body: bytes) -> bool:
    """A push to a slow token: answered after a sleep."""
    if b"fail-slow-" not in body:
        return False
    try:
        token = json.loads(body)["message"]["token"]
    except (ValueError, KeyError, TypeError):
        return False
    return token_behaviour(token) == "slow"

