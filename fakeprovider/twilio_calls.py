"""Twilio's Calls resource, as the official SDK sees it, with a simulated person at the other end.

`POST /2010-04-01/Accounts/{AccountSid}/Calls.json` (`To`, `From`, `Url` or `Twiml`, `StatusCallback`,
`StatusCallbackEvent`, `StatusCallbackMethod`): 201 with Twilio's call JSON (`queued`). Then, from the callback
thread, what the person chosen by the number does (faults.call_behaviour), each request signed as Twilio signs:

- the TwiML: the `Twiml` given, or fetched by a signed POST to `Url` (CallSid, From, To, CallStatus=in-progress);
- answered: status callbacks `initiated`, `ringing`, `in-progress` (answered), then, for a person who presses 1,
  a POST to the `<Gather action>` with `Digits=1`, then `completed` with `CallDuration`;
- busy, no-answer, failed: `initiated`, `ringing` (not for failed), then that final status, `CallDuration=0`.

Status callbacks go only for the events asked (`StatusCallbackEvent`; none given: `completed` alone, as Twilio);
the final statuses (completed, busy, no-answer, failed) count as the `completed` event.

`GET .../Calls.json` (`To`, `From`, `Status`, `StartTime>`, `PageSize`): the calls placed, newest first, one
page; `GET .../Calls/{Sid}.json`: one call. What each call was given and did is `FakeProvider.calls()`.
"""

import itertools
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from .faults import call_behaviour
from .twilio_api import Reply, authorised, rfc2822, twilio_error

if TYPE_CHECKING:
    from .server import FakeProvider

counter = itertools.count(1)  # call and inbound SMS SIDs
# What each simulated person does: (final status, presses 1, answers).
PEOPLE = {
    "confirm": ("completed", True, True),
    "silent": ("completed", False, True),
    "busy": ("busy", False, False),
    "no_answer": ("no-answer", False, False),
    "failed": ("failed", False, False),
}
SPOKEN_SECONDS = 42  # how long an answered call lasts (CallDuration)
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


@dataclass
class CallRecord:
    sid: str
    to: str
    sender: str
    form: dict[str, str]
    behaviour: str
    at: float = field(default_factory=time.time)
    status: str = "queued"
    duration: int = 0
    twiml: str = ""  # what was spoken (given, or fetched from Url)
    digits: str = ""  # what the person pressed

    @property
    def gather_action(self) -> str:
        try:
            root = ElementTree.fromstring(self.twiml)  # noqa: S314 (our own service's TwiML, in tests)
        except ElementTree.ParseError:
            return ""
        gather = root.find("Gather")
        return gather.get("action", "") if gather is not None else ""


class Calls:
    """Every call placed, and how many to each number (a "busy once" person answers the second)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.placed: list[CallRecord] = []
        self.arrivals: list[float] = []  # when each create request arrived

    def add(self, record: CallRecord) -> int:
        """Keep the call; returns how many calls that number had before it."""
        with self._lock:
            before = sum(1 for c in self.placed if c.to == record.to)
            self.placed.append(record)
            self.arrivals.append(time.time())
            return before

    def get(self, sid: str) -> CallRecord | None:
        return next((c for c in self.placed if c.sid == sid), None)

    def clear(self) -> None:
        with self._lock:
            self.placed.clear()
            self.arrivals.clear()


def create_call(provider: "FakeProvider", account_sid: str, authorization: str, form: dict[str, str]) -> Reply:
    if not authorised(provider, account_sid, authorization):
        return 401, twilio_error(401, 20003, "Authenticate"), {}
    missing = _missing_parameter(form)
    if missing:
        return 400, missing, {}
    behaviour = call_behaviour(form["To"])
    if behaviour == "invalid":
        return 400, twilio_error(400, 21211, f"The 'To' number {form['To']} is not a valid phone number."), {}
    record = CallRecord(sid=f"CA{next(counter):08x}{secrets.token_hex(12)}", to=form["To"],
                        sender=form.get("From", ""), form=dict(form), behaviour=behaviour)  # fmt: skip
    if behaviour == "busy_once":
        record.behaviour = "busy" if provider.calls_made.add(record) == 0 else "confirm"
    else:
        provider.calls_made.add(record)
    record.twiml = form.get("Twiml", "")
    provider.simulate_call(record)
    return 201, call_json(account_sid, record), {}


def _missing_parameter(form: dict[str, str]) -> dict[str, Any] | None:
    if not form.get("To"):
        return twilio_error(400, 21201, "No 'To' number is specified")
    if not form.get("From"):
        return twilio_error(400, 21213, "No 'From' number is specified")
    if not form.get("Url") and not form.get("Twiml") and not form.get("ApplicationSid"):
        return twilio_error(400, 21205, "Url parameter is required.")
    return None


def steps(record: CallRecord, account_sid: str) -> list[tuple[str, str, dict[str, str]]]:
    """The requests the call makes, in order: (kind, status, params); kind is "status", "twiml" or "gather"."""
    final, presses, answers = PEOPLE[record.behaviour]
    base = {"AccountSid": account_sid, "ApiVersion": "2010-04-01", "CallSid": record.sid, "To": record.to,
            "From": record.sender, "Direction": "outbound-api"}  # fmt: skip
    out: list[tuple[str, str, dict[str, str]]] = [("status", "initiated", {**base, "CallStatus": "initiated"})]
    if final != "failed":
        out.append(("status", "ringing", {**base, "CallStatus": "ringing"}))
    if answers:
        out.append(("twiml", "in-progress", {**base, "CallStatus": "in-progress"}))
        out.append(("status", "answered", {**base, "CallStatus": "in-progress"}))
        if presses:
            out.append(("gather", "in-progress", {**base, "CallStatus": "in-progress", "Digits": "1"}))
    duration = str(SPOKEN_SECONDS if answers else 0)
    out.append(("status", "completed", {**base, "CallStatus": final, "CallDuration": duration, "Duration": duration}))
    return out


def wanted(form: dict[str, str], event: str) -> bool:
    """Whether a status callback goes for `event` (Twilio's StatusCallbackEvent: space-separated or repeated)."""
    asked = set(form.get("StatusCallbackEvent", "").replace(",", " ").split()) or {"completed"}
    return event in asked


def call_json(account_sid: str, record: CallRecord) -> dict[str, Any]:
    """Twilio's JSON of a call."""
    at = rfc2822(record.at)
    final = record.status in FINAL
    return {
        "sid": record.sid, "account_sid": account_sid, "api_version": "2010-04-01", "annotation": None,
        "answered_by": None, "caller_name": None, "date_created": at, "date_updated": at,
        "direction": "outbound-api", "duration": str(record.duration) if final else None,
        "end_time": at if final else None, "forwarded_from": None, "from": record.sender,
        "from_formatted": record.sender, "group_sid": None, "parent_call_sid": None, "phone_number_sid": None,
        "price": None, "price_unit": "USD", "queue_time": "0", "start_time": at if record.status != "queued" else None,
        "status": record.status, "to": record.to, "to_formatted": record.to, "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{account_sid}/Calls/{record.sid}.json",
        "subresource_uris": {"notifications": f"/2010-04-01/Accounts/{account_sid}/Calls/{record.sid}/Notifications.json"},
    }  # fmt: skip


def read(provider: "FakeProvider", path: str, query: str, authorization: str) -> Reply:
    """GET on the Calls resource: the list (one page, newest first), or one call."""
    parts = path.split("/")
    if len(parts) < 5 or not authorised(provider, parts[3], authorization):
        return 401, twilio_error(401, 20003, "Authenticate"), {}
    if len(parts) == 5 and parts[4] == "Calls.json":
        return 200, _page(provider, path, dict(urllib.parse.parse_qsl(query))), {}
    record = provider.calls_made.get(parts[5].removesuffix(".json")) if len(parts) == 6 else None
    if record is None:
        return 404, twilio_error(404, 20404, f"The requested resource {path} was not found"), {}
    return 200, call_json(parts[3], record), {}


def _page(provider: "FakeProvider", path: str, query: dict[str, str]) -> dict[str, Any]:
    after = _time(query.get("StartTime>", ""))
    found = [c for c in reversed(provider.calls_made.placed)
             if query.get("To", c.to) == c.to and query.get("From", c.sender) == c.sender
             and query.get("Status", c.status) == c.status and (after is None or c.at >= after)]  # fmt: skip
    size = min(int(query.get("PageSize", "50") or 50), 1000)
    uri = f"{path}?{urllib.parse.urlencode(query)}"
    return {"calls": [call_json(path.split("/")[3], c) for c in found[:size]], "page": 0, "page_size": size,
            "start": 0, "end": max(len(found[:size]) - 1, 0), "uri": uri, "first_page_uri": uri,
            "next_page_uri": None, "previous_page_uri": None}  # fmt: skip


def _time(value: str) -> float | None:
    """The SDK sends datetimes in ISO 8601 and days as YYYY-MM-DD; Twilio's own dates are RFC 2822."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def simulate(provider: "FakeProvider", record: CallRecord, generation: int) -> None:
    """The person's side of one call, in its own thread: each step `call_delay` after the last, signed."""
    for kind, status, params in steps(record, provider.account_sid):
        time.sleep(provider.call_delay)
        if provider.call_generation != generation:
            return  # the fake was reset: this call belongs to a finished test
        record.status = params["CallStatus"]
        if kind == "twiml":
            if not record.twiml and record.form.get("Url"):
                record.twiml = provider.post_signed(record.form["Url"], params, keep_body=True)
        elif kind == "gather":
            if record.gather_action:
                record.digits = params["Digits"]
                provider.post_signed(urllib.parse.urljoin(record.form.get("Url", ""), record.gather_action), params)
        elif record.form.get("StatusCallback") and wanted(record.form, status):
            provider.post_signed(record.form["StatusCallback"], params)
    record.duration = int(params.get("CallDuration", "0"))
