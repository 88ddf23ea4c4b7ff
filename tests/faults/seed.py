"""Seed one commune for the fault tests: `python -m tests.faults.seed MEMBERS`, run with the service's environment.

Member 0 is the mayor (who hears her own broadcast like everyone); every member has an FCM token, and
every tenth also chose SMS. Prints one JSON line: {"insee", "mayor_token", "members": [{"user_id",
"token", "phone"}]} (phone null for push only).
"""

import json
import os
import sys
from typing import Any

INSEE = "99001"
SMS_EVERY = 10


def phone(index: int) -> str:
    return f"+3361{index:07d}"  # valid French mobiles, far from the fake's failure numbers (…99xxx)


def fcm_token(user_id: int) -> str:
    return f"tok-{user_id}-{'v' * 40}"


def preferences(index: int) -> dict[str, Any]:
    channels = ["push", "sms"] if index % SMS_EVERY == 0 else ["push"]
    return {"channels": channels, "categories": None, "quiet_hours": None}


def seed(count: int) -> dict[str, Any]:
    import django

    django.setup()
    from accounts.models import AuthToken, User
    from communes.models import Membership, MembershipStatus
    from communes.services import commune_enroll
    from notifications.models import Device
    from tests.factories import CommuneFactory

    commune = CommuneFactory.create(insee=INSEE, name="Vigie-sur-Faute")
    users = User.objects.bulk_create(User(phone=phone(i), preferences=preferences(i)) for i in range(count))
    commune_enroll(commune=commune, mayor=users[0])
    Membership.objects.bulk_create(
        Membership(user=u, commune=commune, status=MembershipStatus.APPROVED, address=f"{i} rue des Lilas")
        for i, u in enumerate(users[1:], start=1)
    )  # fmt: skip
    Device.objects.bulk_create(Device(user=u, fcm_token=fcm_token(u.pk), platform="android") for u in users)
    _, key = AuthToken.objects.issue(users[0], "fault tests")
    # The mayor (users[0]) writes the broadcasts: everyone else is sent them.
    members = [{"user_id": u.pk, "token": fcm_token(u.pk), "phone": phone(i) if i % SMS_EVERY == 0 else None}
               for i, u in enumerate(users) if i > 0]  # fmt: skip
    return {"insee": INSEE, "mayor_token": key, "members": members}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
    sys.stdout.write(json.dumps(seed(int(sys.argv[1]))) + "\n")
