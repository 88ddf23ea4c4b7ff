"""What a commune holds about a person (their memberships), for the RGPD export and erasure (accounts/rgpd.py)."""

from typing import Any

from accounts.models import User

from .models import Membership


def export_memberships(user: User) -> list[dict[str, Any]]:
    return [
        {"commune": m.commune.insee, "commune_name": m.commune.name, "address": m.address,
         "neighbourhood": m.neighbourhood.name if m.neighbourhood else None, "role": m.role, "status": m.status,
         "rejection_reason": m.rejection_reason, "created_at": m.created_at.isoformat()}
        for m in Membership.objects.filter(user=user).select_related("commune", "neighbourhood")
    ]  # fmt: skip


def erase_memberships(user: User) -> None:
    Membership.objects.filter(user=user).delete()
