"""Alerts: residents' reports (moderated) and mayors' broadcasts (not), with confirmations and follow-ups."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communes.models import Commune, Neighbourhood
from vigilants.categories import Category


class AlertStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    APPROVED = "approved", _("publiée")
    REJECTED = "rejected", _("refusée")


class AlertKind(models.TextChoices):
    REPORT = "report", _("signalement")
    BROADCAST = "broadcast", _("message du maire")


class Alert(models.Model):
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=10, choices=AlertKind.choices, default=AlertKind.REPORT)
    category = models.CharField(_("catégorie"), max_length=30, choices=Category.choices)
    title = models.CharField(_("titre"), max_length=120, blank=True)
    description = models.TextField(_("description"))
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("survenu le"))
    created_at = models.DateTimeField(_("signalé le"), auto_now_add=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices, default=AlertStatus.PENDING)
    urgent = models.BooleanField(_("urgent"), default=False)
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Erasing a reporter (RGPD) keeps the alert for the commune's statistics, without them.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="reported_alerts"
    )
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    confirmations_count = models.PositiveIntegerField(default=0)
    flagged_terms = models.JSONField(default=list, blank=True)
    # Broadcasts: which quartiers and channels (empty = the whole commune, every channel).
    target_neighbourhoods = models.ManyToManyField(Neighbourhood, blank=True, related_name="+")
    channels = models.JSONField(default=list, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alerte")
        verbose_name_plural = _("alertes")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["commune", "status", "-created_at"], name="alert_commune_status_recent"),
            models.Index(fields=["commune", "category", "occurred_at"], name="alert_commune_cat_time"),
            models.Index(fields=["status", "created_at"], name="alert_pending_queue", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} ({self.status})"


class Confirmation(models.Model):
    """A "me too": a second report of the same thing, attached instead of sent again."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="confirmations")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")

    def __str__(self) -> str:
        return f"confirmation of #{self.alert_id}"


class FollowUpKind(models.TextChoices):
    END = "end", _("fin d'alerte")
    ERRATUM = "erratum", _("erratum")


class FollowUp(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=10, choices=FollowUpKind.choices)
    body = models.CharField(max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suite donnée")
        verbose_name_plural = _("suites données")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.kind} of #{self.alert_id}"


def default_auto_approve() -> list[str]:
    return []


class CommunePolicy(models.Model):
    """Set by the mayor: what referents and mayors publish without waiting; when to remind the mayor."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="alert_policy")
    auto_approve_categories = models.JSONField(default=default_auto_approve, blank=True)
    escalation_minutes = models.PositiveIntegerField(default=30)

    class Meta:
        verbose_name = _("règles de modération")
        verbose_name_plural = _("règles de modération")

    def __str__(self) -> str:
        return f"policy of {self.commune_id}"

    @classmethod
    def for_commune(cls, commune: Commune) -> "CommunePolicy":
        return cls.objects.get_or_create(commune=commune)[0]
