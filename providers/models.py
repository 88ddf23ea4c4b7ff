"""What the console backends 'sent' (the embedded default), kept in the database for the admin and the demo."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsoleMessage(models.Model):
    """What the console backends 'sent' (embedded default): shown in the admin and on stdout."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        PUSH = "push", "Push"

    channel = models.CharField(max_length=4, choices=Channel.choices)
    recipient = models.CharField(max_length=4096)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("message console")
        verbose_name_plural = _("messages console")
        ordering = ["-created_at"]
        db_table = "notifications_consolemessage"  # created there before the providers had an app of their own

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"
