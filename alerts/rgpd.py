from typing import Any

from accounts.models import User

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
        {"alert": c.alert_id, "description": c.description, "created_at": c.created_at.isoformat()}
        for c in Confirmation.objects.filter(reporter=user)
    ]
    return {"reports": reports, "confirmations": confirmations}
