"""The audit log's entries for what happened during the demo's year, dated when it happened."""

from datetime import datetime
from typing import Any

from accounts.models import User
from alerts.models import Alert
from audit.models import AuditEntry
from communes.models import Membership


def audit_entry(actor: User | None, action: str, obj: Alert | Membership, at: datetime, *,
                before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:  # fmt: skip
    """What audit.services.audit_record writes, with the date of the action instead of today's."""
    return AuditEntry(
        at=at, actor_id=getattr(actor, "pk", None), actor_name=(actor.display_name or f"#{actor.pk}") if actor else "",
        commune_id=obj.commune_id, action=action, object_type=obj._meta.model_name or "", object_id=str(obj.pk),
        before=before, after=after,
    )  # fmt: skip
