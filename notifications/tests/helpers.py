"""Builders shared by the outbox tests: members with preferences and devices, messages."""

from accounts.models import User
from communes.models import Commune
from notifications.models import Device, Message
from tests.factories import MembershipFactory, UserFactory


def member(commune: Commune, *, channels: list[str] | None = None, device: bool = True, **prefs: object) -> User:
    preferences = {"channels": channels if channels is not None else ["push"], "categories": None,
                   "quiet_hours": None, **prefs}  # fmt: skip
    user: User = UserFactory.create(preferences=preferences)
    MembershipFactory(commune=commune, user=user)
    if device:
        Device.objects.create(user=user, fcm_token=f"token-{user.pk}-{'x' * 20}", platform="android")
    return user


def message(commune: Commune, **fields: object) -> Message:
    values = {"kind": "alert", "title": "Cambriolage", "body": "Une maison visitée rue des Oliviers.",
              "channels": ["push", "sms"], "category": "cambriolage", "source_type": "alert", "source_id": 42,
              **fields}  # fmt: skip
    return Message.objects.create(commune=commune, **values)
