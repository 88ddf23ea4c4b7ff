"""From the State's vigilance to the phones, as the issue's check runs it: real worker, Redis, PostgreSQL, the SDKs
against the fake provider, the reader against the fake Vigicrues over HTTP.

A section rises to orange: the commune's mayor and referent are told (their phones), nobody else; the mayor relays
it; members and followers get it once per channel, a follower who answered STOP gets no SMS; the update (red) and
the end replace it on each phone (one tag per thread); the commune's CAP feed and each of its documents are valid.
"""

import subprocess
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from twilio.request_validator import RequestValidator

from accounts.models import User
from communes.models import Commune, Follow, Membership
from conftest import client_for
from fakeprovider import FakeProvider
from notifications import sweeper
from notifications.models import Device, Message, MessageSource
from risks.cap_parse import parse_atom
from risks.cap_validate import cap_problems
from risks.models import RiskWarning, VigilanceChange
from risks.tests.conftest import fake_state, fake_state_server  # noqa: F401 - fixtures used by name
from risks.vigilance.reader import read_all
from tests.factories import CommuneFactory

from .conftest import wait_until
from .fanout import all_final, planned

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(provider_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def person(n: int, channels: list[str], device: bool) -> User:
    user = User.objects.create(phone=f"+336130{n:05d}", preferences={"channels": channels, "categories": None,
                                                                      "quiet_hours": None})  # fmt: skip
    if device:
        Device.objects.create(user=user, fcm_token=f"tok-{user.pk}-{'v' * 40}", platform="android")
    return user


def token(user: User) -> str:
    return f"tok-{user.pk}-{'v' * 40}"


def marpent() -> tuple[Commune, dict[str, Any]]:
    """Marpent (59), on the Sambre (Vigicrues section AP1): its mayor and referent, members, followers by the app
    and by SMS, a member who follows too, and a follower by SMS who will answer STOP."""
    commune = CommuneFactory.create(insee="59385", name="Marpent", departement="59", latitude=50.29385,
                                    longitude=4.08187, enrolled=True)  # fmt: skip
    call_command("vigicrues_sections", "--sections", "AP1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    n = iter(range(1, 1000))
    people: dict[str, Any] = {"mayor": person(next(n), ["push"], True), "referent": person(next(n), ["push"], True),
                              "members": [person(next(n), ["push"], True) for _ in range(5)],
                              "followers": [person(next(n), ["push"], True) for _ in range(5)],
                              "texted": [person(next(n), ["sms"], False) for _ in range(3)],
                              "both": person(next(n), ["push"], True), "stop": person(next(n), ["sms"], False)}  # fmt: skip
    for role in ("mayor", "referent"):
        Membership.objects.create(user=people[role], commune=commune, role=role, status="approved", address="Mairie")
    for user in [*people["members"], people["both"]]:
        Membership.objects.create(user=user, commune=commune, status="approved", address="Rue de la Sambre")
    for user in [*people["followers"], people["both"]]:
        Follow.objects.create(user=user, commune=commune)
    for user in [*people["texted"], people["stop"]]:
        Follow.objects.create(user=user, commune=commune, channels=["sms"])
    return commune, people


def answer_stop(number: str, settings: Any) -> None:
    """The follower texts STOP: Twilio's signed inbound webhook, as the fake signs it."""
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": number, "Body": "STOP"}
    path = "/api/v1/webhooks/twilio/inbound"
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(settings.PUBLIC_BASE_URL + path, params)
    assert Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200


def done(source_type: str, source_id: int) -> bool:
    sweeper.sweep()  # as beat does every 10 s: what a loaded machine's broker refused is published again
    messages = Message.objects.filter(source_type=source_type, source_id=source_id)
    return messages.exists() and all(planned(m) and all_final(m) for m in messages)


def wait_done(source_type: str, source_id: int) -> None:
    wait_until(lambda: done(source_type, source_id), timeout=90, interval=0.5)


def test_a_vigilance_rise_reaches_the_phones_through_the_mayor(
    worker: subprocess.Popen, provider_env: FakeProvider, fake_state: Any, settings: Any  # noqa: F811
) -> None:
    commune, people = marpent()
    answer_stop(str(people["stop"].phone), settings)

    # The fake Vigicrues raises the Sambre to orange: the mayor and the referent are told, nobody else.
    fake_state.set_section("AP1", 3)
    read_all()
    change = VigilanceChange.objects.get(commune=commune)
    wait_done(MessageSource.VIGILANCE, change.pk)
    shown = provider_env.shown()
    assert set(shown["push"]) == {token(people["mayor"]), token(people["referent"])}
    assert shown["sms"] == {}

    # The mayor relays it in one step: members and followers, each once per channel; not the STOP number.
    mayor = client_for(people["mayor"])
    relayed = mayor.post(f"/api/v1/vigilance/{change.pk}/relay", {}, format="json")
    assert relayed.status_code == 201, relayed.content
    first = RiskWarning.objects.get(pk=relayed.json()["id"])
    wait_done(MessageSource.WARNING, first.pk)
    reached = [*people["members"], *people["followers"], people["both"]]
    shown = provider_env.shown()
    assert all(shown["push"][token(u)]["received"] == 1 for u in reached)
    assert {number: row["received"] for number, row in shown["sms"].items()} == {str(u.phone): 1 for u in people["texted"]}

    # Red, then the end: the same notification on each phone, replaced twice; the STOP number still nothing.
    update = mayor.post(f"/api/v1/warnings/{first.pk}/update", {"level": "red"}, format="json")
    assert update.status_code == 201, update.content
    # Sent before the end is written, as a mayor's minutes apart are: an end that comes while the update is still
    # unsent cancels it (nobody is shown an outdated red), which a loaded machine made this test meet.
    wait_done(MessageSource.WARNING, update.json()["id"])
    end = mayor.post(f"/api/v1/warnings/{update.json()['id']}/end", {"text": "La Sambre baisse."}, format="json")
    assert end.status_code == 201, end.content
    wait_done(MessageSource.WARNING, end.json()["id"])
    shown = provider_env.shown()
    for user in reached:
        assert (shown["push"][token(user)]["received"], shown["push"][token(user)]["shown"]) == (3, 1)
    assert str(people["stop"].phone) not in shown["sms"]

    # What a prefecture or a partner takes in: the feed lists the three messages, each a valid CAP 1.2 document.
    feed = Client().get("/api/v1/communes/59385/warnings.atom")
    assert feed.status_code == 200
    links = [link for entry in parse_atom(feed.content).entries for link in entry.cap_links]  # our own reader
    assert len(links) == 3
    for link in links:
        document = Client().get(link.replace("http://testserver", "").replace(settings.PUBLIC_BASE_URL, ""))
        assert document.status_code == 200 and cap_problems(document.content) == []
