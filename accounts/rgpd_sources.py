"""What the identity-side apps hold about a person, for export and erasure (see accounts/rgpd.py)."""

from typing import Any

from axes.models import AccessLog

from communes.models import Membership
from notifications.models import ConsoleMessage, Device, SmsOptOut

from .models import User
from .rgpd import register
from .staff_auth import forget_records


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


def _export_sign_ins(user: User) -> list[dict[str, Any]]:
    """Dashboard and admin sign-ins still within their retention (AXES_RETENTION_DAYS)."""
    return [
        {"signed_in_at": log.attempt_time.isoformat(), "ip_address": log.ip_address,
         "signed_out_at": log.logout_time.isoformat() if log.logout_time else None}
        for log in AccessLog.objects.filter(username=str(user.phone)).order_by("attempt_time")
    ]  # fmt: skip


def _erase_sign_ins(user: User) -> None:
    forget_records(str(user.phone))


def connect() -> None:
    register("memberships", export=_export_memberships, erase=_erase_memberships)
    register("devices", export=_export_devices, erase=_erase_devices)
    register("sign_ins", export=_export_sign_ins, erase=_erase_sign_ins)
