"""What the fake keeps of what it accepted, whether or not it records requests (record=False, benchmarks):
Twilio's record of every SMS (read back through the Messages list, twilio_list.py) and what each phone shows.

`FakeProvider.shown()` and `GET /_shown` answer
`{"push": {token: {"shown", "received", "first_at", "last_at"}}, "sms": {to: {...the same}}}`.
A phone shows a push as a notification; a push under the tag of one already shown replaces it (the tag is
Android's `notification.tag`, else APNs' `apns-collapse-id`, else Web Push's `Topic`) and an untagged one adds
another: push "shown" is the number of distinct tags plus the untagged pushes. Every SMS adds one. Only
accepted requests count (a 2xx answer): an injected fault, a refused token or number never reached a phone.
`first_at`/`last_at` are the time.time() of the first and last accepted request. `reset()` forgets it all.

Compact, for benchmarks of 100,000 requests: one slotted row per SMS, texts and tags shared between the
rows that carry the same one, and Twilio's JSON built only when asked for.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class SmsRecord:
    sid: str
    to: str
    sender: str  # From; "" when a messaging service picks it
    service: str  # MessagingServiceSid or ""
    body: str
    segments: int
    status: str  # where Twilio's record ends: "delivered", or the failure the number asks for
    error_code: int | None = None
    at: float = 0.0  # time.time() when accepted: date_created, date_sent and date_updated


@dataclass(slots=True)
class _Phone:
    received: int
    first_at: float
    last_at: float
    untagged: int = 0
    tags: tuple[str, ...] = ()  # a handful per phone at most: a tuple is smaller than a set


class Records:
    """Thread-safe: the server's handler threads write, tests and GET requests read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._sms: list[SmsRecord] = []  # in the order accepted
            self._by_sid: dict[str, SmsRecord] = {}
            self._shared: dict[str, str] = {}  # one copy of each text and tag
            self._pushes: dict[str, _Phone] = {}
            self._texts: dict[str, _Phone] = {}

    # --- recording --------------------------------------------------------------------------
    def sms_accepted(self, record: SmsRecord) -> SmsRecord:
        """Keep Twilio's record of an SMS it took; returns it with its acceptance time."""
        with self._lock:
            record.at = time.time()  # under the lock: the list stays in date order
            record.body, record.sender = self._share(record.body), self._share(record.sender)
            self._sms.append(record)
            self._by_sid[record.sid] = record
            _count(self._texts, record.to, record.at)
        return record

    def push_accepted(self, message: dict[str, Any]) -> None:
        """An FCM HTTP v1 `message` that was answered 200 (topic and condition messages reach no one phone)."""
        token = message.get("token")
        if not isinstance(token, str) or not token:
            return
        tag = push_tag(message)
        with self._lock:
            phone = _count(self._pushes, token, time.time())
            if not tag:
                phone.untagged += 1
            elif tag not in phone.tags:
                phone.tags = (*phone.tags, self._share(tag))

    def _share(self, text: str) -> str:
        """One copy of a text many rows carry (a broadcast's body, its tag, the sender)."""
        return self._shared.setdefault(text, text)

    # --- reading ----------------------------------------------------------------------------
    def shown(self) -> dict[str, dict[str, dict[str, Any]]]:
        with self._lock:
            push = {token: _row(len(p.tags) + p.untagged, p) for token, p in self._pushes.items()}
            sms = {to: _row(p.received, p) for to, p in self._texts.items()}
        return {"push": push, "sms": sms}

    def sms(self, sid: str) -> SmsRecord | None:
        return self._by_sid.get(sid)

    def sms_newest_first(self) -> list[SmsRecord]:
        with self._lock:
            return self._sms[::-1]


def push_tag(message: dict[str, Any]) -> str:
    """The notification's tag on the phone: Android's, else APNs' collapse id, else Web Push's Topic."""
    android = _get(message, "android", "notification", "tag")
    apns = _get(message, "apns", "headers", "apns-collapse-id")
    web = _get(message, "webpush", "headers", "Topic")
    return str(android or apns or web or "")


def _get(message: dict[str, Any], *keys: str) -> Any:
    value: Any = message
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _count(phones: dict[str, _Phone], address: str, now: float) -> _Phone:
    phone = phones.get(address)
    if phone is None:
        phone = phones[address] = _Phone(0, now, now)
    phone.received += 1
    phone.last_at = now
    return phone


def _row(shown: int, phone: _Phone) -> dict[str, Any]:
    return {"shown": shown, "received": phone.received, "first_at": phone.first_at, "last_at": phone.last_at}
