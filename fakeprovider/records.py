"""What the fake keeps of what it accepted: Twilio's message records (served back by the Messages list, as
Twilio does) and what each phone would show.

A phone shows a push as a notification; a push carrying the tag of a notification already shown replaces it
(Android `notification.tag`, APNs `apns-collapse-id`, Web Push `Topic`, in that order), an untagged one adds
another. An SMS is always one more. Only accepted requests count: a refused one was never shown.
"""

import threading
import time
import urllib.parse
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any


class Records:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.messages: list[dict[str, Any]] = []  # Twilio's JSON of every accepted SMS, oldest first
        self._push: dict[str, dict[str, Any]] = {}
        self._sms: dict[str, dict[str, Any]] = {}

    # --- recording --------------------------------------------------------------------------
    def push_accepted(self, message: dict[str, Any]) -> None:
        token, tag, now = str(message.get("token", "")), push_tag(message), time.time()
        with self._lock:
            row = self._push.setdefault(token, {"tags": set(), "untagged": 0, "received": 0, "first_at": now})
            row["received"] += 1
            row["last_at"] = now
            if tag:
                row["tags"].add(tag)
            else:
                row["untagged"] += 1

    def sms_accepted(self, record: dict[str, Any]) -> None:
        now = time.time()
        record = {**record, "date_sent": record.get("date_sent") or formatdate(now, usegmt=True)}
        with self._lock:
            self.messages.append(record)
            row = self._sms.setdefault(record["to"], {"received": 0, "first_at": now})
            row["received"] += 1
            row["last_at"] = now

    # --- what tests and the Messages list read ----------------------------------------------
    def shown(self) -> dict[str, dict[str, dict[str, Any]]]:
        with self._lock:
            push = {token: {"shown": len(r["tags"]) + r["untagged"], "received": r["received"],
                            "first_at": r["first_at"], "last_at": r["last_at"]} for token, r in self._push.items()}
            sms = {to: {"shown": r["received"], **r} for to, r in self._sms.items()}
        return {"push": push, "sms": sms}

    def find(self, sid: str) -> dict[str, Any] | None:
        with self._lock:
            return next((m for m in self.messages if m["sid"] == sid), None)

    def page(self, base: str, query: dict[str, str]) -> dict[str, Any]:
        """Twilio's Messages list: filters To, From, DateSent, DateSent<, DateSent>; newest first; paged."""
        with self._lock:
            found = [m for m in reversed(self.messages) if _matches(m, query)]
        size = max(1, min(int(query.get("PageSize") or 50), 1000))
        number = max(0, int(query.get("Page") or 0))
        items = found[number * size : (number + 1) * size]
        uri = lambda page: f"{base}?{urllib.parse.urlencode({**_filters(query), 'PageSize': size, 'Page': page})}"  # noqa: E731
        more = (number + 1) * size < len(found)
        return {"messages": items, "page": number, "page_size": size, "start": number * size,
                "end": number * size + max(len(items) - 1, 0), "uri": uri(number), "first_page_uri": uri(0),
                "next_page_uri": uri(number + 1) if more else None,
                "previous_page_uri": uri(number - 1) if number else None}  # fmt: skip


def push_tag(message: dict[str, Any]) -> str:
    android = ((message.get("android") or {}).get("notification") or {}).get("tag")
    apns = ((message.get("apns") or {}).get("headers") or {}).get("apns-collapse-id")
    web = ((message.get("webpush") or {}).get("headers") or {}).get("Topic")
    return str(android or apns or web or "")


def _filters(query: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in query.items() if k in ("To", "From", "DateSent", "DateSent<", "DateSent>")}


def _matches(message: dict[str, Any], query: dict[str, str]) -> bool:
    if query.get("To") and message["to"] != query["To"]:
        return False
    if query.get("From") and message.get("from") != query["From"]:
        return False
    sent = parsedate_to_datetime(message["date_sent"])
    for key, test in (("DateSent", lambda d, day: d.date() == day.date()), ("DateSent>", lambda d, at: d >= at),
                      ("DateSent<", lambda d, at: d <= at)):  # fmt: skip
        if query.get(key) and not test(sent, _when(query[key], end=key == "DateSent<")):
            return False
    return True


def _when(value: str, end: bool = False) -> datetime:
    """Twilio takes a day (YYYY-MM-DD, the whole day) or an ISO 8601 time (what the SDK sends)."""
    value = value.strip().lstrip("<>=")
    if len(value) == 10:
        day = datetime.fromisoformat(value).replace(tzinfo=UTC)
        return day.replace(hour=23, minute=59, second=59) if end else day
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
