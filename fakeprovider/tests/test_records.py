"""What the fake keeps of what it accepted: Twilio's Messages list (through the real SDK, and on the wire) and
what each phone shows."""

import base64
import http.client
import json
import time
import urllib.parse
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, records

TWILIO = "https://api.twilio.com"
MESSAGES = f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"
BASIC = "Basic " + base64.b64encode(f"{FAKE_ACCOUNT_SID}:{FAKE_AUTH_TOKEN}".encode()).decode()
BEARER = "fake-bearer-for-tests"
A, B = "+33612345678", "+33698765432"


class Routed(TwilioHttpClient):
    """The SDK's own HTTP client, sent to the fake instead of api.twilio.com; remembers the URLs asked."""

    def __init__(self, base: str) -> None:
        super().__init__(timeout=5)
        self.base, self.asked = base, []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        url = self.base + url.removeprefix(TWILIO)
        self.asked.append((method, url, kwargs.get("params") or {}))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def sdk(fake_provider: FakeProvider) -> Client:
    return Client(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, http_client=Routed(fake_provider.url))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """`clock(when)`: the fake accepts what comes next at `when`."""

    def set_to(when: datetime) -> None:
        monkeypatch.setattr(records, "time", SimpleNamespace(time=when.timestamp))

    return set_to


def get(fake: FakeProvider, path: str, auth: str = BASIC) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("GET", path, headers={"Authorization": auth})
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def post_push(fake: FakeProvider, message: dict[str, Any], bearer: str = BEARER) -> int:
    fake.issued_tokens.add(BEARER)
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request("POST", "/v1/projects/p/messages:send", body=json.dumps({"message": message}),
                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"})
    return conn.getresponse().status


def text(sdk: Client, to: str, body: str, sender: str = "+33700000001") -> str:
    return sdk.messages.create(to=to, from_=sender, body=body).sid


# --- Twilio's Messages list ---------------------------------------------------------------------
def test_the_sdk_lists_what_was_sent_to_a_number_newest_first_across_pages(fake_provider, sdk):
    sids = [text(sdk, A, f"Alerte {i}") for i in range(7)]
    text(sdk, B, "Autre")

    listed = sdk.messages.list(to=A, date_sent_after=datetime.now(UTC) - timedelta(minutes=1), page_size=3, limit=20)

    assert [m.sid for m in listed] == sids[::-1]
    assert [m.body for m in listed] == [f"Alerte {i}" for i in reversed(range(7))]
    assert {(m.to, m.from_, m.status, m.num_segments) for m in listed} == {(A, "+33700000001", "delivered", "1")}
    pages = [params for method, _, params in sdk.http_client.asked if method == "GET"]
    assert len(pages) == 3  # 3 + 3 + 1, the next two followed through next_page_uri
    assert sdk.messages(sids[0]).fetch().body == "Alerte 0"


def test_the_list_filters_by_sender_and_by_date_sent(fake_provider, sdk, clock):
    yesterday, today = datetime(2026, 12, 4, 23, 59, 59, tzinfo=UTC), datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    clock(yesterday)
    old = text(sdk, A, "Hier")
    clock(today)
    new = text(sdk, A, "Aujourd'hui", sender="+33700000002")

    def sids(**filters: Any) -> list[str]:
        return [m.sid for m in sdk.messages.list(to=A, **filters)]

    assert sids(from_="+33700000002") == [new]
    assert sids(date_sent=date(2026, 12, 4)) == [old]  # a day
    assert sids(date_sent_after=today) == [new]  # on or after a time
    assert sids(date_sent_before=yesterday) == [old]  # on or before a time
    assert sids(date_sent_after=today + timedelta(seconds=1)) == []
    assert sids(date_sent_before="2026-12-04") == [old]  # a day given as text: all of it
    assert sids(date_sent_after="2026-12-05") == [new]


def test_the_list_pages_on_the_wire_as_twilio_does(fake_provider, sdk, clock):
    clock(datetime(2026, 12, 5, 13, 28, 8, tzinfo=UTC))
    sids = [text(sdk, A, f"Alerte {i}") for i in range(3)]

    status, first = get(fake_provider, f"{MESSAGES}?To={urllib.parse.quote(A)}&PageSize=2")

    assert status == 200
    assert set(first) == {"messages", "first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size",
                          "start", "end", "uri"}  # fmt: skip
    assert (first["page"], first["page_size"], first["start"], first["end"]) == (0, 2, 0, 1)
    assert first["previous_page_uri"] is None
    assert first["next_page_uri"] == f"{MESSAGES}?To=%2B33612345678&PageSize=2&Page=1&PageToken=PA{sids[1]}"
    message = first["messages"][0]
    assert (message["sid"], message["body"], message["status"]) == (sids[2], "Alerte 2", "delivered")
    assert message["date_sent"] == message["date_created"] == "Sat, 05 Dec 2026 13:28:08 +0000"
    text(sdk, A, "Plus récente")  # arrives between two pages: the token keeps the next page where it was
    status, second = get(fake_provider, first["next_page_uri"])
    assert [m["sid"] for m in second["messages"]] == [sids[0]]
    assert (second["page"], second["start"], second["end"], second["next_page_uri"]) == (1, 2, 2, None)
    assert second["previous_page_uri"] == f"{MESSAGES}?To=%2B33612345678&PageSize=2&Page=0&PageToken=PB{sids[0]}"
    assert [m["sid"] for m in get(fake_provider, second["previous_page_uri"])[1]["messages"]] == sids[2:0:-1]


def test_each_message_reads_as_the_create_call_answered_it_then_as_twilios_record(fake_provider):
    form = urllib.parse.urlencode({"To": "+33600099303", "From": "+33700000001", "Body": "Alerte"})  # ends undelivered
    conn = http.client.HTTPConnection("127.0.0.1", fake_provider.port, timeout=5)
    conn.request("POST", MESSAGES, body=form, headers={"Authorization": BASIC,
                                                      "Content-Type": "application/x-www-form-urlencoded"})
    created = json.loads(conn.getresponse().read())

    status, record = get(fake_provider, f"{MESSAGES.removesuffix('.json')}/{created['sid']}.json")

    assert status == 200
    assert set(record) == set(created)
    assert (created["status"], created["date_sent"], created["error_code"]) == ("queued", None, None)
    assert (record["status"], record["error_code"], record["body"]) == ("undelivered", 30003, "Alerte")
    assert record["date_sent"] == created["date_created"]
    assert get(fake_provider, f"{MESSAGES.removesuffix('.json')}/SM{'0' * 32}.json")[0] == 404


def test_the_list_wants_the_accounts_credentials(fake_provider, sdk):
    text(sdk, A, "Alerte")
    wrong = "Basic " + base64.b64encode(f"{FAKE_ACCOUNT_SID}:nope".encode()).decode()

    assert get(fake_provider, MESSAGES, auth="")[0] == 401
    assert get(fake_provider, MESSAGES, auth=wrong)[1]["code"] == 20003
    assert get(fake_provider, MESSAGES.replace(FAKE_ACCOUNT_SID, "AC" + "0" * 32))[0] == 401


def test_the_list_refuses_what_twilio_refuses(fake_provider, sdk):
    with pytest.raises(TwilioException, match="HTTP 400"):  # what the SDK raises for a page it cannot read
        sdk.messages.list(page_size=1001)
    assert get(fake_provider, f"{MESSAGES}?DateSent%3E=yesterday")[0] == 400


def test_every_accepted_sms_is_kept_without_recording_and_refused_ones_never(fake_provider, sdk):
    fake_provider.record = False  # the benchmark mode
    try:
        kept = text(sdk, A, "Alerte")
        fake_provider.fail(503, service="twilio", count=1)
        with pytest.raises(TwilioRestException):
            text(sdk, A, "Refusé: panne")
        with pytest.raises(TwilioRestException):
            text(sdk, "+33600099211", "Refusé: numéro invalide")
    finally:
        fake_provider.record = True

    assert fake_provider.requests == []
    assert [m.sid for m in sdk.messages.list()] == [kept]
    assert get(fake_provider, MESSAGES)[1]["messages"][0]["body"] == "Alerte"
    fake_provider.reset()
    assert sdk.messages.list() == []


# --- what each phone shows ----------------------------------------------------------------------
def test_pushes_under_one_tag_replace_each_other_and_untagged_ones_add_up(fake_provider):
    for message in (
        {"android": {"notification": {"tag": "alert-1"}}, "apns": {"headers": {"apns-collapse-id": "other"}}},
        {"apns": {"headers": {"apns-collapse-id": "alert-1"}}},  # the same tag, as iOS would carry it
        {"webpush": {"headers": {"Topic": "alert-2"}}},  # another alert
        {"android": {"collapse_key": "alert-3"}},  # a collapse key is no tag: it does not replace what is shown
        {},
    ):
        assert post_push(fake_provider, {"token": "t1", **message}) == 200

    shown = fake_provider.shown()["push"]["t1"]

    assert (shown["shown"], shown["received"]) == (4, 5)  # alert-1, alert-2, two untagged


def test_only_what_was_accepted_is_shown(fake_provider, sdk):
    started = time.time()
    assert post_push(fake_provider, {"token": "t1"}) == 200
    assert post_push(fake_provider, {"token": "fail-unregistered-1"}) == 404  # a refused token
    assert post_push(fake_provider, {"token": "t2"}, bearer="forged") == 401
    fake_provider.fail(503, service="fcm", count=1)
    assert post_push(fake_provider, {"token": "t2"}) == 503  # an injected fault
    text(sdk, A, "Alerte")
    text(sdk, A, "Alerte")  # two SMS: two on the screen
    with pytest.raises(TwilioRestException):
        text(sdk, "+33600099610", "STOP")  # opted out: refused

    shown = fake_provider.shown()

    assert {t: (r["shown"], r["received"]) for t, r in shown["push"].items()} == {"t1": (1, 1)}
    assert {n: (r["shown"], r["received"]) for n, r in shown["sms"].items()} == {A: (2, 2)}
    assert set(shown["sms"][A]) == {"shown", "received", "first_at", "last_at"}
    assert started <= shown["push"]["t1"]["first_at"] <= shown["sms"][A]["first_at"] <= shown["sms"][A]["last_at"]


def test_it_serves_what_phones_show_as_json_and_forgets_it_on_reset(fake_provider):
    fake_provider.record = False
    try:
        post_push(fake_provider, {"token": "t1", "android": {"notification": {"tag": "alert-1"}}})
    finally:
        fake_provider.record = True

    status, shown = get(fake_provider, "/_shown")

    assert status == 200
    assert shown == fake_provider.shown()
    assert shown["push"]["t1"]["shown"] == 1 and shown["sms"] == {}
    fake_provider.reset()
    assert get(fake_provider, "/_shown")[1] == {"push": {}, "sms": {}}
