"""What the fan-out integration tests share: the fake provider in front of the real SDKs, seeded members,
a broadcast, and what each phone would show (pushes under one tag replace each other: one showing)."""

from collections import Counter

from django.db import transaction

from accounts.models import User
from communes.models import Commune, Membership
from fakeprovider import FakeProvider
from notifications import sweeper
from notifications.models import Delivery, DeliveryStatus, Device, Message, MessageKind
from notifications.services import message_enqueue
from tests.factories import CommuneFactory

from .conftest import wait_until

FINAL = [DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN,
         DeliveryStatus.CANCELLED]  # fmt: skip


def seed(members: int, sms_every: int = 10) -> tuple[Commune, dict[int, str], dict[int, str]]:
    """`members` approved members, each with a device; one in `sms_every` also chose SMS."""
    commune = CommuneFactory.create(name="Vigie-sur-Test")
    users = User.objects.bulk_create(
        User(phone=f"+3361{i:07d}", preferences={"channels": ["push", "sms"] if i % sms_every == 0 else ["push"],
                                                 "categories": None, "quiet_hours": None})
        for i in range(members)
    )  # fmt: skip
    Membership.objects.bulk_create(Membership(user=u, commune=commune, status="approved", address="x") for u in users)
    Device.objects.bulk_create(Device(user=u, fcm_token=f"tok-{u.pk}-{'v' * 40}", platform="android") for u in users)
    tokens = {u.pk: f"tok-{u.pk}-{'v' * 40}" for u in users}
    phones = {u.pk: u.phone for i, u in enumerate(users) if i % sms_every == 0}
    return commune, tokens, phones


def enqueue(commune: Commune) -> Message:
    with transaction.atomic():
        return message_enqueue(commune=commune, kind=MessageKind.BROADCAST, title="Alerte",
                               body="Restez vigilants.", urgent=True)  # fmt: skip


def planned(message: Message) -> bool:
    return Message.objects.get(pk=message.pk).status == "planned"


def all_final(message: Message) -> bool:
    return not Delivery.objects.filter(message=message).exclude(status__in=FINAL).exists()


def sweep_until_final(message: Message, timeout: float) -> None:
    def done() -> bool:
        sweeper.sweep()
        return planned(message) and all_final(message)

    wait_until(done, timeout=timeout, interval=1.0)


def shown(fake: FakeProvider) -> tuple[dict[str, int], dict[str, int]]:
    """What each phone shows, as the fake counts it: notifications on screen per token (pushes under one tag
    replace each other) and SMS per number, of the requests it accepted (not those it was told to refuse)."""
    seen = fake.shown()
    return ({token: row["shown"] for token, row in seen["push"].items()},
            {phone: row["shown"] for phone, row in seen["sms"].items()})  # fmt: skip


def assert_shown_once(fake: FakeProvider, message: Message, tokens: dict[int, str], phones: dict[int, str]) -> None:
    """Every member shown the alert once on each of their channels, nobody twice, and no delivery left undecided."""
    on_screen, texts = shown(fake)
    assert {t: n for t, n in on_screen.items() if n != 1} == {}, "a phone shows the alert twice"
    assert {p: n for p, n in texts.items() if n != 1} == {}, "a number got the SMS twice"
    assert set(tokens.values()) <= set(on_screen), f"{len(set(tokens.values()) - set(on_screen))} phones never shown"
    assert set(phones.values()) <= set(texts), f"{len(set(phones.values()) - set(texts))} numbers never texted"
    statuses = Counter(Delivery.objects.filter(message=message).values_list("status", flat=True))
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.DELIVERED}, statuses
