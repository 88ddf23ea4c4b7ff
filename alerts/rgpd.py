"""What the alerts app holds about a person (see accounts/rgpd.py), and what an anonymised report keeps.

An erased or anonymised report stays (the commune's record, its statistics) but nothing in it points at a
house any more: the typed address goes and the position is rounded to what residents see (~100 m).
"""

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Round

from accounts.models import User

from .geo import PUBLIC_DECIMALS
from .models import Alert, Confirmation


def export_reports(user: User) -> dict[str, list[dict[str, Any]]]:
    reports = [
        {"id": a.pk, "commune": a.commune.insee, "category": a.category, "description": a.description,
         "latitude": a.latitude, "longitude": a.longitude, "address": a.address, "status": a.status,
         "occurred_at": a.occurred_at.isoformat(), "created_at": a.created_at.isoformat(),
         "rejection_reason": a.rejection_reason}
        for a in Alert.objects.filter(reporter=user).select_related("commune")
    ]  # fmt: skip
    confirmations = [
        {"alert": c.alert_id, "description": c.description, "created_at": c.created_at.isoformat(),
         "latitude": c.latitude, "longitude": c.longitude}
        for c in Confirmation.objects.filter(reporter=user)
    ]  # fmt: skip
    return {"reports": reports, "confirmations": confirmations}


def _rounded_position() -> dict[str, Round]:
    return {"latitude": Round("latitude", PUBLIC_DECIMALS), "longitude": Round("longitude", PUBLIC_DECIMALS)}


def anonymise_reports(alerts: QuerySet[Alert]) -> int:
    """Unlink these reports from their reporter and from any house: no reporter, no address, rounded position."""
    return alerts.update(reporter=None, address="", **_rounded_position())


def anonymise_confirmations(confirmations: QuerySet[Confirmation]) -> int:
    return confirmations.update(reporter=None, **_rounded_position())


def erase_reports(user: User) -> None:
    """RGPD erasure: the person's reports and confirmations stay, anonymised (the account goes next)."""
    anonymise_reports(Alert.objects.filter(reporter=user))
    anonymise_confirmations(Confirmation.objects.filter(reporter=user))
