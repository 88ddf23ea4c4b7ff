"""Failure injection: by recipient (a documented convention) and at runtime (the next N requests).

Recipient convention (the same in tests, the bench and black-box runs):

SMS numbers whose last five digits are "99" + a code (valid French mobiles, far from the factories'
sequence), and Twilio's own magic test numbers +15005550001/4/9:

    ...99211  +15005550001   400, Twilio 21211 (invalid 'To' number)
    ...99614  +15005550009   400, Twilio 21614 (not a mobile number)
    ...99610  +15005550004   400, Twilio 21610 (recipient unsubscribed: STOP)
    ...99429                 429, Twilio 20429 with Retry-After
    ...99500                 500, Twilio 20500
    ...99408                 answers after `slow_seconds` (longer than the client timeout)
    ...99303                 accepted, then status callback "undelivered" (ErrorCode 30003)
    ...99305                 accepted, then status callback "failed" (ErrorCode 30005)

FCM registration tokens starting with:

    fail-unregistered-       404 NOT_FOUND, FcmError UNREGISTERED
    fail-sender-mismatch-    403 PERMISSION_DENIED, FcmError SENDER_ID_MISMATCH
    fail-invalid-            400 INVALID_ARGUMENT, FcmError INVALID_ARGUMENT (bad token)
    fail-quota-              429 RESOURCE_EXHAUSTED, FcmError QUOTA_EXCEEDED with Retry-After
    fail-unavailable-        503 UNAVAILABLE
    fail-internal-           500 INTERNAL
    fail-slow-               answers after `slow_seconds`

Call numbers (Twilio's Calls API, twilio_calls.py) whose last five digits are "98" + a code: the simulated
person at that number (any other number answers, listens and presses 1):

    ...98200                 answers and listens, presses nothing
    ...98486                 busy, every time
    ...98481                 busy the first time it is called, then answers and presses 1
    ...98480                 does not answer (no-answer)
    ...98500                 the call fails (failed)
    ...98211                 400, Twilio 21211 (invalid 'To' number)

Runtime faults (`FakeProvider.fail(...)` or `POST /_control {"fail": {...}}`) answer `status` to the
next `count` requests and/or for `seconds`, for one service ("twilio", "fcm") or "all".
"""

import threading
import time
from dataclasses import dataclass

SMS_CODES = {
    "211": "invalid",
    "614": "not_mobile",
    "610": "opted_out",
    "429": "rate_limited",
    "500": "server_error",
    "408": "slow",
    "303": "undelivered",
    "305": "failed",
}
TWILIO_MAGIC = {"+15005550001": "invalid", "+15005550009": "not_mobile", "+15005550004": "opted_out"}

CALL_CODES = {"200": "silent", "486": "busy", "481": "busy_once", "480": "no_answer", "500": "failed", "211": "invalid"}

TOKEN_PREFIXES = {
    "fail-unregistered-": "unregistered",
    "fail-sender-mismatch-": "sender_mismatch",
    "fail-invalid-": "invalid",
    "fail-quota-": "quota",
    "fail-unavailable-": "unavailable",
    "fail-internal-": "internal",
    "fail-slow-": "slow",
}


def sms_behaviour(to: str) -> str:
    """"ok" or the name of the failure the number asks for."""
    if to in TWILIO_MAGIC:
        return TWILIO_MAGIC[to]
    if len(to) >= 5 and to[-5:-3] == "99":
        return SMS_CODES.get(to[-3:], "ok")
    return "ok"


def call_behaviour(to: str) -> str:
    """"confirm" (answers and presses 1) or what the person at that number does instead."""
    if len(to) >= 5 and to[-5:-3] == "98":
        return CALL_CODES.get(to[-3:], "confirm")
    return "confirm"


def token_behaviour(token: str) -> str:
    if not token.startswith("fail-"):
        return "ok"
    for prefix, name in TOKEN_PREFIXES.items():
        if token.startswith(prefix):
            return name
    return "ok"


@dataclass
class Fault:
    service: str  # "twilio", "fcm" or "all"
    status: int  # 429, 500, 503...
    remaining: int | None  # requests still to fail; None: until `until`
    until: float | None  # monotonic deadline; None: until `remaining` runs out
    retry_after: int = 1

    def alive(self, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        return self.remaining is None or self.remaining > 0

    def matches(self, service: str, now: float) -> bool:
        return self.service in ("all", service) and self.alive(now)


class Faults:
    """Runtime faults, consumed by the request handlers (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, *, service: str, status: int, count: int | None, seconds: float | None, retry_after: int) -> None:
        if count is None and seconds is None:
            count = 1
        until = time.monotonic() + seconds if seconds is not None else None
        with self._lock:
            self._faults.append(Fault(service, status, count, until, retry_after))

    def take(self, service: str) -> Fault | None:
        """The fault this request must answer with, if any (uses one of its requests)."""
        if not self._faults:  # fast path: no lock for the common case
            return None
        now = time.monotonic()
        with self._lock:
            self._faults = [f for f in self._faults if f.alive(now)]
            for fault in self._faults:
                if fault.matches(service, now):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults = []
