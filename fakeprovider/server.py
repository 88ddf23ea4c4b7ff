"""The fake provider: Twilio, FCM and Google's token endpoint on one loopback HTTP/1.1 server, which also
answers HTTP/2 with prior knowledge (h2c.py) to a client that opens with HTTP/2's preface.

In tests: `fake = FakeProvider(port=0); base_url = fake.start()`, then point TWILIO_API_BASE_URL and
FCM_API_BASE_URL at `base_url` and a service account written by `write_service_account(...)` (its
token_uri is `base_url + "/token"`). `fake.requests` records every request; `fake.shown()` tells what each
phone shows; `fake.reset()` forgets.

From outside (`python -m fakeprovider --port 8765`):
- `GET /_requests`: every request received (not kept with --no-record);
- `GET /_sms_rate`: the most SMS requests received within any one second;
- `GET /_shown`: what each phone shows of the accepted requests, per FCM token and per number
  (`{"push": {token: {"shown", "received", "first_at", "last_at"}}, "sms": {to: {...}}}`, see records.py);
- `GET /_callbacks`: the Twilio status callbacks sent;
- `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` and `.../Messages/{Sid}.json`: Twilio's list and
  fetch of the SMS accepted, with Twilio's filters and pages (twilio_list.py);
- `POST .../Calls.json`, `GET .../Calls.json` and `.../Calls/{Sid}.json`: Twilio's Calls API with a simulated
  person chosen by the number (twilio_calls.py, faults.py); `GET /_calls`: what each call was given and did;
  `GET /_call_rate`: the most call requests received within any one second;
- `POST /_inbound_sms {"from", "body", "to"?, "url"?}`: a person texts the service: Twilio's inbound SMS
  webhook (MessageSid, AccountSid, From, To, Body, NumSegments, NumMedia), signed as the status callbacks are,
  posted to `url` or the configured `inbound_url` (`POST /_control {"inbound_url": ...}`, `--inbound-url`);
  answers `{"status", "sid", "replies"}`: the webhook's HTTP status and the texts of its TwiML `<Message>`s, what
  Twilio would send back to the person;
- `POST /_reset`, `POST /_control` (faults.py for failure injection).
"""

import _thread
import bisect
import json
import secrets
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from xml.etree import ElementTree

from . import fcm_api, h2c, twilio_api, twilio_calls, twilio_list
from .callbacks import Callback, CallbackSender
from .faults import Faults
from .records import Records

Reply = tuple[int, Any, dict[str, str]]


class Headers(Protocol):
    """A request's headers: looked up by name in any case (HTTP/1.1's email.message.Message, h2c's)."""

    def get(self, name: str, default: None = None) -> str | None: ...

    def items(self) -> Any: ...


FAKE_ACCOUNT_SID = "AC" + "fa4e" * 8
FAKE_AUTH_TOKEN = "fake-twilio-auth-token-0123456789"  # noqa: S105 (a test credential for the fake only)


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case (HTTP header names are case-insensitive)
    form: dict[str, str] | None = None  # form-encoded bodies (Twilio, the token endpoint)
    json: Any = None  # JSON bodies (FCM)
    at: float = field(default_factory=time.time)
    version: str = "HTTP/1.1"  # or HTTP/2 (h2c.py)


class FakeProvider:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, account_sid: str = FAKE_ACCOUNT_SID,
                 auth_token: str = FAKE_AUTH_TOKEN, record: bool = True, inbound_url: str = "") -> None:
        self.host, self.port = host, port
        self.account_sid, self.auth_token = account_sid, auth_token
        self.record = record  # off for benchmarks: 100,000 recorded bodies would cost memory
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()
        self.issued_tokens: set[str] = set()
        self.records = Records()  # accepted SMS (Twilio's Messages list) and what each phone shows
        self.calls_made = twilio_calls.Calls()  # every call placed (Twilio's Calls list)
        self.call_generation = 0  # bumped by reset(): calls of a finished test stop
        self.inbound_number = "+33700000001"  # the service's number people text (`To` of inbound SMS)
        self._inbound_url_given = inbound_url  # kept through reset()
        self._server: ThreadingHTTPServer | None = None
        self._callbacks: CallbackSender | None = None
        self._defaults()

    def _defaults(self) -> None:
        self.latency = 0.0  # added to every provider answer
        self.slow_seconds = 3.0  # how long "slow" recipients wait: longer than the clients' timeouts
        self.callbacks_enabled = True
        self.callback_delay = 0.05  # between acceptance and "sent", and between "sent" and the final status
        self.token_lifetime = 3600
        self.count = 0  # every provider request, recorded or not
        self.connections = 0  # TCP connections accepted: clients that keep theirs alive open few
        self.sms_arrivals: list[float] = []  # when each Messages.json request arrived, recorded or not
        self.call_delay = 0.05  # between two steps of a simulated call (ringing, answered, the digit, completed)
        self.inbound_url = self._inbound_url_given  # the number's "A message comes in" webhook (Twilio's SmsUrl)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a background thread; returns the base URL (http://127.0.0.1:<port>)."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.provider = self
        self.port = self._server.server_address[1]
        self._callbacks = CallbackSender(self.auth_token)
        threading.Thread(target=self._server.serve_forever, name="fake-provider", daemon=True).start()
        return self.url

    def wait(self) -> None:
        """Block the calling thread while the server runs (the command line)."""
        threading.Event().wait()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._callbacks is not None:
            self._callbacks.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- control --------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget recorded requests and callbacks, clear faults and settings (issued tokens stay valid)."""
        self.requests.clear()
        if self._callbacks is not None:
            self._callbacks.forget()
        self.faults.clear()
        self.records.clear()
        self.calls_made.clear()
        self.call_generation += 1
        self.connections = 0
        self._defaults()

    def fail(self, status: int, *, service: str = "all", count: int | None = None, seconds: float | None = None,
             retry_after: int = 1) -> None:
        """Answer `status` to the next `count` requests and/or for `seconds` (service: twilio, fcm, all)."""
        self.faults.add(service=service, status=status, count=count, seconds=seconds, retry_after=retry_after)

    def configure(self, **options: Any) -> None:
        """latency, slow_seconds, callbacks (bool), callback_delay, token_lifetime, call_delay, inbound_url."""
        names = {"latency": "latency", "slow_seconds": "slow_seconds", "callbacks": "callbacks_enabled",
                 "callback_delay": "callback_delay", "token_lifetime": "token_lifetime", "call_delay": "call_delay",
                 "inbound_url": "inbound_url"}
        for key, value in options.items():
            if key not in names:
                raise ValueError(f"unknown option {key!r}")
            setattr(self, names[key], value)

    def control(self, payload: dict[str, Any]) -> None:
        """What `POST /_control` does: {"fail": {...fail() keywords}, "reset": true, ...configure()}."""
        payload = dict(payload)
        if payload.pop("reset", False):
            self.reset()
        fail = payload.pop("fail", None)
        if fail:
            self.fail(**fail)
        self.configure(**payload)

    # --- what tests look at ---------------------------------------------------------------
    def sms_rate(self) -> dict[str, int]:
        """How many SMS requests arrived, and the most that arrived within any one second."""
        return {"count": len(self.sms_arrivals), "most_in_one_second": most_in_one_second(self.sms_arrivals)}

    def shown(self) -> dict[str, dict[str, dict[str, Any]]]:
        """What each phone shows of the accepted requests (also `GET /_shown`): {"push": {token: {"shown",
        "received", "first_at", "last_at"}}, "sms": {to: {...}}}; a push under a tag already shown replaces
        it. Kept with record=False too; see records.py."""
        return self.records.shown()

    @property
    def callbacks(self) -> list[Callback]:
        return self._callbacks.sent if self._callbacks is not None else []

    def sms(self) -> list[dict[str, str]]:
        """The form of every Messages.json request received, in order."""
        return [r.form or {} for r in self.requests if r.path.endswith("/Messages.json")]

    def calls(self) -> list[dict[str, Any]]:
        """Every call placed, in order: what it was given (`form`), who answered it (`behaviour`), its final
        `status`, the TwiML spoken and the digit pressed (also `GET /_calls`)."""
        return [{"sid": c.sid, "to": c.to, "form": c.form, "behaviour": c.behaviour, "status": c.status,
                 "duration": c.duration, "twiml": c.twiml, "digits": c.digits, "at": c.at}
                for c in list(self.calls_made.placed)]  # fmt: skip

    def call_rate(self) -> dict[str, int]:
        """How many call requests arrived, and the most within any one second."""
        arrivals = list(self.calls_made.arrivals)
        return {"count": len(arrivals), "most_in_one_second": most_in_one_second(arrivals)}

    def simulate_call(self, record: "twilio_calls.CallRecord") -> None:
        """The simulated person's side of a call, in a thread of its own (twilio_calls.simulate)."""
        if self.callbacks_enabled:
            threading.Thread(target=twilio_calls.simulate, args=(self, record, self.call_generation),
                             name="fake-call", daemon=True).start()  # fmt: skip

    def post_signed(self, url: str, params: dict[str, str], keep_body: bool = False) -> str:
        """A request of a call to the service, signed as Twilio signs (recorded with the status callbacks);
        returns the answer's body when `keep_body` (the TwiML fetched from a call's Url)."""
        if self._callbacks is None:
            return ""
        callback, body = self._callbacks.post(url, params, keep_body)
        self._callbacks.sent.append(callback)
        return body

    def inbound_sms(self, sender: str, body: str, to: str = "", url: str = "") -> dict[str, Any]:
        """A person texts the service (also `POST /_inbound_sms`): Twilio's inbound SMS webhook, signed with
        the auth token, posted now to `url` or `inbound_url`; what the service answered and the texts its TwiML
        would have Twilio send back. Recorded with the callbacks."""
        target = url or self.inbound_url
        if not target:
            raise ValueError("no inbound_url: configure it (POST /_control {\"inbound_url\": ...}) or give url")
        if not sender:
            raise ValueError("from is required")
        sid = f"SM{next(twilio_calls.counter):08x}{secrets.token_hex(12)}"
        params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": self.account_sid,
                  "From": sender, "To": to or self.inbound_number, "Body": body, "NumSegments": "1",
                  "NumMedia": "0", "ApiVersion": "2010-04-01", "SmsStatus": "received"}  # fmt: skip
        if self._callbacks is None:
            raise ValueError("the fake is not started")
        callback, answer = self._callbacks.post(target, params, keep_body=True)
        self._callbacks.sent.append(callback)
        return {"status": callback.status, "error": callback.error, "sid": sid, "replies": twiml_messages(answer)}

    def pushes(self) -> list[dict[str, Any]]:
        """The `message` of every messages:send request received, in order."""
        return [r.json["message"] for r in self.requests
                if r.path.endswith("/messages:send") and isinstance(r.json, dict) and "message" in r.json]

    # --- used by the handlers -------------------------------------------------------------
    def sleep_slow(self) -> None:
        time.sleep(self.slow_seconds)

    def schedule_status_callbacks(self, form: dict[str, str], sid: str, failure: tuple[str, str] | None) -> None:
        if not self.callbacks_enabled or self._callbacks is None:
            return
        base = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "MessageSid": sid, "SmsSid": sid,
                "To": form["To"], "From": form.get("From") or "+33600000000"}
        if form.get("MessagingServiceSid"):
            base["MessagingServiceSid"] = form["MessagingServiceSid"]
        final = ({"MessageStatus": failure[0], "ErrorCode": failure[1]} if failure
                 else {"MessageStatus": "delivered"})
        now = time.monotonic()
        for step, extra in enumerate(({"MessageStatus": "sent"}, final), start=1):
            params = {**base, **extra, "SmsStatus": extra["MessageStatus"]}
            self._callbacks.schedule(now + step * self.callback_delay, form["StatusCallback"], params)


class _Server(ThreadingHTTPServer):
    """One thread per connection, started without waiting for it to run (it ends with the process).

    ThreadingMixIn accepts one connection, then waits in Thread.start() until the new thread has run. Under
    a GIL shared with busy threads (send_each's pool beside the fake in a test process) that wait took 40-200
    ms per connection, so a burst of new connections sat in the listen queue, unread, for up to 0.7 s: past
    a client's read timeout, a push the fake then accepted came back "unknown". `_thread` does not wait.
    """

    request_queue_size = 1024  # the bench opens hundreds of connections at once
    provider: FakeProvider

    def process_request(self, request: Any, client_address: Any) -> None:
        self.provider.connections += 1
        _thread.start_new_thread(self.process_request_thread, (request, client_address))

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that hung up (one that timed out gets its answer late, then resets): that is
        the client's story, not a fault of the fake. Anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDKs reuse their connections
    disable_nagle_algorithm = True  # one write per answer, sent at once (no 40 ms delayed-ACK stalls)
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines carry phone numbers and tokens."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_requests":
            self._reply(200, [asdict(r) for r in list(self.server.provider.requests)])
        elif path == "/_callbacks":
            self._reply(200, [asdict(c) for c in list(self.server.provider.callbacks)])
        elif path == "/_sms_rate":
            self._reply(200, self.server.provider.sms_rate())
        elif path == "/_shown":
            self._reply(200, self.server.provider.shown())
        elif path == "/_calls":
            self._reply(200, self.server.provider.calls())
        elif path == "/_call_rate":
            self._reply(200, self.server.provider.call_rate())
        elif path.startswith("/2010-04-01/Accounts/") and "/Calls" in path:
            self._reply(*twilio_calls.read(self.server.provider, path, self.path.partition("?")[2],
                                           self.headers.get("Authorization", "")))  # fmt: skip
        elif path.startswith("/2010-04-01/Accounts/"):
            self._reply(*twilio_list.read(self.server.provider, path, self.path.partition("?")[2],
                                          self.headers.get("Authorization", "")))  # fmt: skip
        elif path in ("/", "/_health"):
            self._reply(200, {"ok": True, "count": self.server.provider.count})
        else:
            self._reply(404, {"error": "not found"})

    def handle(self) -> None:
        """HTTP/1.1, or HTTP/2 when the client opens with HTTP/2's preface (h2c with prior knowledge)."""
        if h2c.starts_http2(self.rfile):
            h2c.serve(self.server.provider, self.rfile, self.connection, answer_post)
        else:
            super().handle()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, payload, headers = answer_post(self.server.provider, self.path, self.headers, raw)
        self._reply(status, payload, headers)

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        lines = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}",
                 "Content-Type: application/json", f"Content-Length: {len(body)}"]
        lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        # One write for status line, headers and body.
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)


def answer_post(provider: FakeProvider, target: str, headers: Headers, raw: bytes, version: str = "HTTP/1.1") -> Reply:
    """The answer to a POST, whichever HTTP version carried it."""
    path, _, query = target.partition("?")
    content_type = headers.get("Content-Type") or ""
    form = _form(raw) if "form" in content_type else None
    body = _json_or_none(raw) if "json" in content_type else None
    if path.startswith("/_"):
        return _control(provider, path, body)
    provider.count += 1
    if path.endswith("/Messages.json"):
        provider.sms_arrivals.append(time.time())
    if provider.record:
        provider.requests.append(RecordedRequest("POST", path, dict(urllib.parse.parse_qsl(query)),
                                                 {k.lower(): v for k, v in headers.items()}, form, body,
                                                 version=version))  # fmt: skip
    reply = _route(provider, path, headers.get("Authorization") or "", form or {}, body)
    if provider.latency:
        time.sleep(provider.latency)
    return reply


def _route(provider: FakeProvider, path: str, authorization: str, form: dict[str, str], body: Any) -> Reply:
    parts = path.split("/")
    if path.startswith("/2010-04-01/Accounts/") and path.endswith("/Messages.json") and len(parts) == 5:
        fault = provider.faults.take("twilio")
        if fault:
            return twilio_api.fault_reply(fault)
        return twilio_api.create_message(provider, parts[3], authorization, form)
    if path.startswith("/2010-04-01/Accounts/") and path.endswith("/Calls.json") and len(parts) == 5:
        fault = provider.faults.take("twilio")
        if fault:
            return twilio_api.fault_reply(fault)
        return twilio_calls.create_call(provider, parts[3], authorization, form)
    if path.startswith("/v1/projects/") and path.endswith("/messages:send") and len(parts) == 5:
        fault = provider.faults.take("fcm")
        if fault:
            return fcm_api.fault_reply(fault)
        return fcm_api.send_message(provider, parts[3], authorization, body)
    if path == "/token":
        return fcm_api.issue_token(provider, form)
    return 404, {"error": "not found"}, {}


def _control(provider: FakeProvider, path: str, body: Any) -> Reply:
    try:
        if path == "/_inbound_sms":
            body = body if isinstance(body, dict) else {}
            return 200, provider.inbound_sms(str(body.get("from") or ""), str(body.get("body") or ""),
                                             str(body.get("to") or ""), str(body.get("url") or "")), {}  # fmt: skip
        if path == "/_reset":
            provider.reset()
        elif path == "/_control":
            provider.control(body or {})
        else:
            return 404, {"error": "not found"}, {}
    except (TypeError, ValueError) as error:
        return 400, {"error": str(error)}, {}
    return 200, {"ok": True}, {}


def twiml_messages(answer: str) -> list[str]:
    """The texts of a TwiML answer's `<Message>`s (`<Message><Body>` too): what Twilio sends back."""
    try:
        root = ElementTree.fromstring(answer)  # noqa: S314 (the service under test's own TwiML)
    except ElementTree.ParseError:
        return []
    return ["".join(message.itertext()).strip() for message in root.iter("Message")]


def _form(raw: bytes) -> dict[str, str]:
    """A form body; a repeated parameter (the SDK's lists: StatusCallbackEvent) as its values joined by spaces."""
    form: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True):
        form[name] = f"{form[name]} {value}" if name in form else value
    return form


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def most_in_one_second(times: list[float]) -> int:
    """The largest number of `times` within any window of one second (sliding, not only whole seconds)."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
