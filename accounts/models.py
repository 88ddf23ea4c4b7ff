"""People: a phone number is the identity; sign-in is by SMS code, one revocable token per device."""

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


def default_preferences() -> dict[str, Any]:
    # Push by default; SMS (which costs the commune) is chosen, or used when a person has no working device.
    return {"channels": ["push"], "categories": None, "quiet_hours": None}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            # Residents never have a password: they sign in by SMS code.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    phone = PhoneNumberField(_("téléphone"), unique=True, region="FR")
    display_name = models.CharField(_("nom affiché"), max_length=80, blank=True)
    preferences = models.JSONField(_("préférences"), default=default_preferences)
    is_staff = models.BooleanField(_("équipe"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AuthTokenQuerySet(models.QuerySet["AuthToken"]):
    def issue(self, user: User, device_name: str = "") -> tuple["AuthToken", str]:
        """Create a token and return it with its key; only the hash is stored."""
        key = secrets.token_hex(20)
        token = self.create(user=user, key_hash=hash_secret(key), device_name=device_name[:100])
        return token, key


class AuthToken(models.Model):
    """One per signed-in device. The key itself is never stored, only its SHA-256."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    device_name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = AuthTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("session d'appareil")
        verbose_name_plural = _("sessions d'appareil")

    def __str__(self) -> str:
        return f"{self.device_name or '?'} ({self.user_id})"


class OtpCode(models.Model):
    """A sign-in code sent by SMS. Stored hashed; works once; expires; burnt after too many tries."""

    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("code de connexion")
        verbose_name_plural = _("codes de connexion")
        indexes = [models.Index(fields=["phone", "-created_at"], name="otp_phone_recent")]

    def __str__(self) -> str:
        return f"code #{self.pk}"
