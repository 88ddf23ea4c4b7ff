"""A public warning end to end: real worker, Redis, PostgreSQL, the SDKs against the fake provider.

Members, followers and people who are both each get the warning once per channel, counted at the provider; a
neighbourhood-watch message in the same commune reaches the members alone.
"""

import subprocess
from collections import Counter

import pytest
from django.db import transaction

from accounts.models import User
from communes.models import Commune, Follow, Membership
from fakeprovider import FakeProvider
from notifications import planner
from notifications.models import Audience, Device, Message, MessageKind, SmsOptOut
from notifications.services import message_draft
from tests.factories import CommuneFactory

from .conftest import wait_until
from .fanout import all_final, planned

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(provider_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def person(n: int, channels: list[str], device: bool) -> User:
    # +33612 then 0 and 5 digits: never the fake provider's fault numbers (…99xxx).
    user = User.objects.create(phone=f"+336120{n:05d}", preferences={"channels": channels, "categories": None,
                                                                      "quiet_hours": None})  # fmt: skip
    if device:
        Device.objects.create(user=user, fcm_token=f"tok-{user.pk}-{'w' * 40}", platform="android")
    return user


def town() -> tuple[Commune, dict[str, list[User]]]:
    """20 members (push), 20 followers (push), 10 followers by SMS without the app, 10 members who follow
    (push and SMS), and people who must get nothing: a stopped follower, a number that answered STOP, a
    follower of another commune."""
    commune, elsewhere = CommuneFactory.create(name="Crue-sur-Loup"), CommuneFactory.create(name="Ailleurs")
    numbers = iter(range(1, 1000))
    people = {
        "members": [person(next(numbers), ["push"], True) for _ in range(20)],
        "followers": [person(next(numbers), ["push"], True) for _ in range(20)],
        "texted": [person(next(numbers), ["push"], False) for _ in range(10)],
        "both": [person(next(numbers), ["push", "sms"], True) for _ in range(10)],
        "nobody": [person(next(numbers), ["push"], True), person(next(numbers), ["push"], False),
                   person(next(numbers), ["push"], True)],  # fmt: skip
    }
    stopped, opted_out, other = people["nobody"]
    Membership.objects.bulk_create(Membership(user=u, commune=commune, status="approved", address="x")
                                   for u in people["members"] + people["both"])  # fmt: skip
    follows = [Follow(user=u, commune=commune) for u in people["followers"] + people["both"]]
    follows += [Follow(user=u, commune=commune, channels=["sms"]) for u in [*people["texted"], opted_out]]
    follows += [Follow(user=stopped, commune=commune, stopped_at=stopped.date_joined),
                Follow(user=other, commune=elsewhere)]  # fmt: skip
    Follow.objects.bulk_create(follows)
    SmsOptOut.objects.create(phone=str(opted_out.phone))
    return commune, people


def enqueue(commune: Commune, audience: str) -> Message:
    """What a warning's service writes: the outbox row, planned once the transaction commits."""
    with transaction.atomic():
        message = message_draft(commune=commune, kind=MessageKind.BROADCAST, title="Crue du Loup",
                                body="Montée rapide des eaux : éloignez-vous des berges.", urgent=True)  # fmt: skip
        message.audience = audience
        message.save(force_insert=True)
        transaction.on_commit(lambda: planner.publish_plan(message.pk))
    return message


def received(fake: FakeProvider) -> tuple[Counter[str], Counter[str]]:
    """Push requests per device token and SMS requests per number, as the provider counted them."""
    return Counter(p["token"] for p in fake.pushes()), Counter(s["To"] for s in fake.sms())


def test_a_public_warning_reaches_each_person_once_per_channel(worker: subprocess.Popen,
                                                               provider_env: FakeProvider) -> None:  # fmt: skip
    commune, people = town()
    message = enqueue(commune, Audience.PUBLIC)
    wait_until(lambda: planned(message) and all_final(message), timeout=90)
    pushes, texts = received(provider_env)
    pushed = people["members"] + people["followers"] + people["both"]
    assert pushes == Counter({f"tok-{u.pk}-{'w' * 40}": 1 for u in pushed})
    assert texts == Counter({str(u.phone): 1 for u in people["texted"] + people["both"]})


def test_a_members_only_message_reaches_no_follower(worker: subprocess.Popen, provider_env: FakeProvider) -> None:
    commune, people = town()
    message = enqueue(commune, Audience.MEMBERS)
    wait_until(lambda: planned(message) and all_final(message), timeout=90)
    pushes, texts = received(provider_env)
    assert pushes == Counter({f"tok-{u.pk}-{'w' * 40}": 1 for u in people["members"] + people["both"]})
    assert texts == Counter({str(u.phone): 1 for u in people["both"]})
