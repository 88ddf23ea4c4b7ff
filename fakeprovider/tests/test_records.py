"""Twilio's Messages list through the real SDK, and what each phone shows."""

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider


class Routed(TwilioHttpClient):
    def __init__(self, base: str) -> None:
        super().__init__(timeout=5)
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, url.replace("https://api.twilio.com", self.base), *args, **kwargs)


def client(fake: FakeProvider) -> Client:
    return Client(FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, http_client=Routed(fake.url))


def post_push(fake: FakeProvider, message: dict) -> None:
    fake.records.push_accepted(message)


def test_the_sdk_lists_what_was_sent_to_a_number_newest_first_across_pages(fake_provider: FakeProvider) -> None:
    sdk = client(fake_provider)
    sids = [sdk.messages.create(to="+33612345678", from_="+33700000001", body=f"Alerte {i}").sid for i in range(5)]
    sdk.messages.create(to="+33698765432", from_="+33700000001", body="Autre")
    since = datetime.now(UTC) - timedelta(minutes=1)
    listed = sdk.messages.list(to="+33612345678", date_sent_after=since, page_size=2, limit=10)
    assert [m.sid for m in listed] == sids[::-1]  # three pages of two, followed by the SDK
    assert [m.body for m in listed][:2] == ["Alerte 4", "Alerte 3"]
    assert sdk.messages.list(to="+33612345678", date_sent_after=since + timedelta(hours=1)) == []
    assert sdk.messages.list(to="+33612345678", date_sent_before=since) == []
    assert sdk.messages(sids[0]).fetch().body == "Alerte 0"


def test_the_list_wants_the_accounts_credentials(fake_provider: FakeProvider) -> None:
    url = f"{fake_provider.url}/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"
    try:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - loopback
    except urllib.error.HTTPError as error:
        assert error.code == 401
    else:
        raise AssertionError("listed without credentials")


def test_a_refused_sms_is_not_listed_nor_shown(fake_provider: FakeProvider) -> None:
    fake_provider.fail(503, service="twilio", count=1)
    sdk = client(fake_provider)
    with pytest.raises(TwilioRestException):  # the injected refusal
        sdk.messages.create(to="+33612345678", from_="+33700000001", body="x")
    assert sdk.messages.list(to="+33612345678") == []
    assert fake_provider.shown()["sms"] == {}
    sdk.messages.create(to="+33612345678", from_="+33700000001", body="x")
    assert fake_provider.shown()["sms"]["+33612345678"]["shown"] == 1


def test_pushes_under_one_tag_replace_each_other_and_untagged_ones_add_up(fake_provider: FakeProvider) -> None:
    tagged = {"token": "t1", "android": {"notification": {"tag": "alert-1"}}}
    post_push(fake_provider, tagged)
    post_push(fake_provider, tagged)  # sent again: replaces
    post_push(fake_provider, {"token": "t1", "apns": {"headers": {"apns-collapse-id": "alert-2"}}})  # another alert
    post_push(fake_provider, {"token": "t2"})
    post_push(fake_provider, {"token": "t2"})  # untagged: shown twice
    with urllib.request.urlopen(f"{fake_provider.url}/_shown", timeout=5) as answer:  # noqa: S310 - loopback
        seen = json.load(answer)
    assert {t: (r["shown"], r["received"]) for t, r in seen["push"].items()} == {"t1": (2, 3), "t2": (2, 2)}
    fake_provider.reset()
    assert fake_provider.shown() == {"push": {}, "sms": {}}
