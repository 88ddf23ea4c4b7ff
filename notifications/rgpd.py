"""What the delivery side holds about a person (push registrations, an SMS opt-out, console copies), for the
RGPD export and erasure (accounts/rgpd.py). Deliveries themselves are purged after their retention."""

from typing import Any

from accounts.models import User
from providers.models import ConsoleMessage

from .models import Device, SmsOptOut


def export_devices(user: User) -> list[dict[str, Any]]:
    return [
        {"platform": d.platform, "active": d.active, "created_at": d.created_at.isoformat()}
        for d in Device.objects.filter(user=user)
    ]


def erase_devices(user: User) -> None:
    phone = str(user.phone)
    Device.objects.filter(user=user).delete()
    SmsOptOut.objects.filter(phone=phone).delete()
    ConsoleMessage.objects.filter(recipient=phone).delete()
