"""The dependency audits run on this deployment: when, and what they found."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditOutcome(models.TextChoices):
    CLEAN = "clean", _("aucune vulnérabilité connue")
    VULNERABLE = "vulnerable", _("vulnérabilités connues")
    # The advisory database could not be read (closed network): nothing was checked, which is not "clean".
    UNREACHABLE = "unreachable", _("base des avis inaccessible")
    FAILED = "failed", _("l'audit n'a pas pu s'exécuter")


class DependencyAudit(models.Model):
    ran_at = models.DateTimeField(_("exécuté le"), auto_now_add=True, db_index=True)
    outcome = models.CharField(_("résultat"), max_length=12, choices=AuditOutcome.choices)
    audited = models.PositiveIntegerField(_("paquets vérifiés"), default=0)
    skipped = models.PositiveIntegerField(_("paquets non vérifiés"), default=0)
    # [{"name", "version", "id", "fix_versions"}], as pip-audit reports them
    vulnerabilities = models.JSONField(default=list)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit des dépendances")
        verbose_name_plural = _("audits des dépendances")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} {self.outcome}"
