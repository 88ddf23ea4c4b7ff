"""Push devices, SMS opt-outs, outbox jobs and one delivery row per (message, recipient, channel)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    WEB = "web", "Web"


class Device(models.Model):
    """An FCM registration token. A token belongs to one person at a time: re-registering moves it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    fcm_token = models.CharField(max_length=4096, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deactivated_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        verbose_name = _("appareil")
        verbose_name_plural = _("appareils")
        indexes = [models.Index(fields=["user", "active"], name="device_user_active")]

    def __str__(self) -> str:
        return f"{self.platform} #{self.pk}"


class SmsOptOut(models.Model):
    """A number that answered STOP: no SMS goes to it until it answers START."""

    phone = models.CharField(max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("désinscription SMS")
        verbose_name_plural = _("désinscriptions SMS")

    def __str__(self) -> str:
        return f"opt-out #{self.pk}"


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

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk}"
