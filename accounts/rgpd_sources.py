"""What the identity-side apps hold about a person, for export and erasure (see accounts/rgpd.py)."""

from typing import Any

from communes.models import Membership
from notifications.models import ConsoleMessage, Device, SmsOptOut

from .models import User
from .rgpd import register


def _export_memberships(user: User) -> list[dict[str, Any]]:
    return [
        {"commune": m.commune.insee, "commune_name": m.commune.name, "address": m.address,
         "neighbourhood": m.neighbourhood.name if m.neighbourhood else None, "role": m.role, "status": m.status,
         "rejection_reason": m.rejection_reason, "created_at": m.created_at.isoformat()}
        for m in Membership.objects.filter(user=user).select_related("commune", "neighbourhood")
    ]  # fmt: skip


def _erase_memberships(user: User) -> None:
    Membership.objects.filter(user=user).delete()


def _export_devices(user: User) -> list[dict[str, Any]]:
    return [
        {"platform": d.platform, "active": d.active, "created_at": d.created_at.isoformat()}
        for d in Device.objects.filter(user=user)
    ]


def _erase_devices(user: User) -> None:
    phone = str(user.phone)
    Device.objects.filter(user=user).delete()
    SmsOptOut.objects.filter(phone=phone).delete()
    ConsoleMessage.objects.filter(recipient=phone).delete()


def connect() -> None:
    register("memberships", export=_export_memberships, erase=_erase_memberships)
    register("devices", export=_export_devices, erase=_erase_devices)
