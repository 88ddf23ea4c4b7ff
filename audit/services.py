from typing import TYPE_CHECKING, Any

from django.db import models

from accounts.models import User

from .models import AuditEntry

if TYPE_CHECKING:  # the log sits below the communes: it names one, it never reads one
    from communes.models import Commune


def audit_record(
    *, actor: User | None, action: str, obj: models.Model, commune: "Commune | None" = None,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
) -> AuditEntry:  # fmt: skip
    """Record one action. Call inside the transaction of the action itself, so both land or neither."""
    return AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_name=(actor.display_name or f"#{actor.pk}") if actor else "",
        commune=commune,
        action=action,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        before=before,
        after=after,
    )
