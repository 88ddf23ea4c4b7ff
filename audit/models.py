"""The audit log: moderation, role changes, broadcasts, exports. Append-only.

Rows can be inserted, never changed or deleted: the model refuses it, and on PostgreSQL a trigger
refuses it too, so that an application bug (or a hurried admin) cannot rewrite history.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    # A plain id, not a foreign key: erasing a person (RGPD) must not have to rewrite the log.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=120, blank=True)
    commune = models.ForeignKey(
        "communes.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["commune", "-at"], name="audit_commune_recent")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit entries are append-only")
