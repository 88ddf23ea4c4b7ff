"""Reading Twilio's record of messages back, as the SDK's `messages.list()` and `messages(sid).fetch()` do.

`GET /2010-04-01/Accounts/{AccountSid}/Messages.json`: every SMS the fake accepted (kept with record=False too),
newest first, in Twilio's page JSON (`messages`, `page`, `page_size`, `start`, `end`, `uri`, `first_page_uri`,
`next_page_uri`, `previous_page_uri`), each message as the create call returns it but with its final status and
`date_sent` (the time it was accepted). Filters: `To`, `From`, `DateSent` (that UTC day), `DateSent<` and
`DateSent>` (on or before, on or after: a day `YYYY-MM-DD`, the whole day, or an ISO 8601 time, which is what the
SDK's date_sent_before/after send). Pages: `PageSize` (50, at most 1000), `Page`, and the `PageToken` of the
page URIs it gives (`PA<sid>`: after that message, `PB<sid>`: before it), so that paging does not skip or repeat
messages when new ones arrive. `GET .../Messages/{Sid}.json`: one message. HTTP basic auth as for sending;
runtime faults (`fail()`) apply to sending only.
"""

import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .records import SmsRecord
from .twilio_api import Reply, authorised, message_json, twilio_error

if TYPE_CHECKING:
    from .server import FakeProvider

FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")
DAY = 86400
_NOT_FOUND = "The requested resource {path} was not found"


def read(provider: "FakeProvider", path: str, query: str, authorization: str) -> Reply:
    """GET on the Messages resource: the list, or one message."""
    parts = path.split("/")  # ['', '2010-04-01', 'Accounts', sid, 'Messages.json' | 'Messages', '{Sid}.json']
    if len(parts) < 5 or not authorised(provider, parts[3], authorization):
        return 401, twilio_error(401, 20003, "Authenticate"), {}
    if len(parts) == 5 and parts[4] == "Messages.json":
        try:
            return 200, page(provider, path, dict(urllib.parse.parse_qsl(query))), {}
        except ValueError as error:
            return 400, twilio_error(400, 20001, f"Invalid parameter: {error}"), {}
    record = provider.records.sms(parts[5].removesuffix(".json")) if len(parts) == 6 and parts[4] == "Messages" else None
    if record is None or not parts[5].endswith(".json"):
        return 404, twilio_error(404, 20404, _NOT_FOUND.format(path=path)), {}
    return 200, message_json(parts[3], record, final=True), {}


def page(provider: "FakeProvider", path: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of the list; ValueError for a parameter Twilio would refuse."""
    size, number = _number(query, "PageSize", 50, 1, 1000), _number(query, "Page", 0, 0, None)
    matches = matcher(query)
    found = [r for r in provider.records.sms_newest_first() if matches(r)]
    first = _first(found, query.get("PageToken", ""), number, size)
    items = found[first : first + size]
    filters = {key: query[key] for key in FILTERS if query.get(key)}

    def uri(number: int, token: str = "") -> str:
        paging = {"PageSize": size, "Page": number, **({"PageToken": token} if token else {})}
        return f"{path}?{urllib.parse.urlencode({**filters, **paging})}"

    has_next, has_previous = first + size < len(found), first > 0 and bool(items)
    return {
        "messages": [message_json(path.split("/")[3], r, final=True) for r in items],
        "page": number, "page_size": size, "start": number * size, "end": number * size + max(len(items) - 1, 0),
        "uri": uri(number, query.get("PageToken", "")), "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1, f"PA{items[-1].sid}") if has_next else None,
        "previous_page_uri": uri(max(number - 1, 0), f"PB{items[0].sid}") if has_previous else None,
    }  # fmt: skip


def matcher(query: dict[str, str]) -> Callable[[SmsRecord], bool]:
    """The list's filters; dates compare in whole seconds, as Twilio's dates are written."""
    to, sender = query.get("To"), query.get("From")
    day = _seconds(query["DateSent"]) if query.get("DateSent") else None
    after = _seconds(query["DateSent>"]) if query.get("DateSent>") else None
    before = _seconds(query["DateSent<"], end_of_day=True) if query.get("DateSent<") else None
    if day is not None:
        day -= day % DAY  # a time names its day

    def matches(record: SmsRecord) -> bool:
        sent = int(record.at)
        return ((not to or record.to == to) and (not sender or record.sender == sender)
                and (day is None or day <= sent < day + DAY) and (after is None or sent >= after)
                and (before is None or sent <= before))  # fmt: skip

    return matches


def _seconds(value: str, *, end_of_day: bool = False) -> int:
    """Epoch seconds of a day `YYYY-MM-DD` (its first second, or its last) or of an ISO 8601 time (UTC unless
    it says otherwise)."""
    value = value.strip()
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    seconds = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return seconds + DAY - 1 if end_of_day and len(value) == 10 else seconds


def _number(query: dict[str, str], key: str, default: int, low: int, high: int | None) -> int:
    value = int(query.get(key) or default)
    if value < low or (high is not None and value > high):
        raise ValueError(f"{key} {value} out of range")
    return value


def _first(found: list[SmsRecord], token: str, number: int, size: int) -> int:
    """Where the page starts: next to the message its token names, else at Page x PageSize."""
    kind, sid = token[:2], token[2:]
    index = next((i for i, r in enumerate(found) if r.sid == sid), None) if kind in ("PA", "PB") else None
    if index is None:
        return number * size
    return index + 1 if kind == "PA" else max(index - size, 0)
