"""Sign-in records held about a person, for export and erasure (see accounts/rgpd.py); every other app
registers its own in its AppConfig.ready."""

from typing import Any

from axes.models import AccessLog

from .models import User
from .rgpd import register
from .staff_auth import forget_records


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
    register("sign_ins", export=_export_sign_ins, erase=_erase_sign_ins)
