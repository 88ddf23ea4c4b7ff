"""Staff sign-in: lockout after failed attempts (django-axes) and a TOTP second factor (django-otp).

Passwords are for staff only (the dashboards' and the admin's password form, stats/dashboard_auth.py); a
correct password opens nothing until a code from the staff member's authenticator app is given. Failed
passwords and failed codes count alike, per account and, separately, per client address; the settings
(AXES_*) point at the hooks below, so that the address is the one the API's throttles use (NUM_PROXIES) and
the account is the phone number however it is typed.
"""

import ipaddress
import math
from base64 import b32encode
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import verify_token
from django_otp.admin import OTPAdminSite
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers
from rest_framework.throttling import BaseThrottle

from .models import User
from .phone import normalize_mobile

DEVICE_NAME = "Vigilants"


# --- django-axes hooks (settings.AXES_*_CALLABLE) ---------------------------------------------


def client_ip(request: HttpRequest) -> str | None:
    """The address the API's throttles count (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies)."""
    candidate = BaseThrottle().get_ident(request)  # type: ignore[arg-type]
    try:
        return str(ipaddress.ip_address(candidate.strip()))
    except (AttributeError, ValueError):
        # A forged or garbled header must neither crash the sign-in nor pick its own counter.
        return request.META.get("REMOTE_ADDR")


def canonical_username(raw: object) -> str | None:
    """One account, one counter: `06 99…`, `+3369…` and `0699…` are the same phone number."""
    if raw is None:
        return None
    value = str(raw).strip()
    try:
        return normalize_mobile(value)
    except serializers.ValidationError:
        return value[:150]


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account an attempt is about, from the credentials Django or we signal, else the posted form."""
    if credentials and credentials.get("username") is not None:
        return canonical_username(credentials["username"])
    return canonical_username(request.POST.get("username")) if request.method == "POST" else None


def lockout_minutes() -> int:
    cool_off = get_cool_off() or timedelta(minutes=15)
    return max(1, math.ceil(cool_off.total_seconds() / 60))


def lockout_message() -> str:
    return _("Trop d'essais infructueux : la connexion est bloquée pour %(minutes)d minutes. "
             "Réessayez plus tard.") % {"minutes": lockout_minutes()}  # fmt: skip


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in views answer a lockout themselves (their form, 429); anything else gets a short page."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    return render(request, "dashboard/login_locked.html", {"message": lockout_message()}, status=429)


# --- Lockout, used by the sign-in views -------------------------------------------------------


def is_locked(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


def record_failure(request: HttpRequest, username: str) -> bool:
    """Counts a wrong code as axes counts a wrong password; True if this failure locked the sign-in."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def reset_failures(username: str) -> None:
    """After password and code: the account's counter starts again (never the address's, see settings)."""
    AxesProxyHandler.reset_attempts(username=username)


def purge_records(now: datetime | None = None) -> int:
    """Sign-in records are kept for AXES_RETENTION_DAYS; attempts older than the cool-off count for nothing."""
    now = now or timezone.now()
    logs_before = now - timedelta(days=settings.AXES_RETENTION_DAYS)
    deleted = AccessLog.objects.filter(attempt_time__lt=logs_before).delete()[0]
    deleted += AccessFailureLog.objects.filter(attempt_time__lt=logs_before).delete()[0]
    cool_off = get_cool_off() or timedelta(days=settings.AXES_RETENTION_DAYS)
    return deleted + AccessAttempt.objects.filter(attempt_time__lt=now - cool_off).delete()[0]


def forget_records(phone: str) -> None:
    """RGPD erasure: nothing of the sign-in history stays under the person's number."""
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username=phone).delete()


# --- TOTP ---------------------------------------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


@transaction.atomic
def enrol(user: User, *, reset: bool = False) -> TOTPDevice:
    """The staff member's TOTP device: kept as it is, or (reset) replaced by a new secret."""
    existing = confirmed_device(user)
    if existing is not None and not reset:
        return existing
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def provisioning_uri(device: TOTPDevice) -> str:
    """otpauth:// for an authenticator app; labelled with the account's name, never its phone number."""
    issuer = settings.OTP_TOTP_ISSUER
    account = device.user.display_name or f"compte {device.user_id}"
    params = {"secret": secret_base32(device), "issuer": issuer, "algorithm": "SHA1",
              "digits": device.digits, "period": device.step}  # fmt: skip
    return f"otpauth://totp/{quote(f'{issuer}:{account}')}?{urlencode(params, quote_via=quote)}"


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now (the demo prints it; tests type it)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wait_seconds(device: TOTPDevice) -> int:
    """django-otp's own back-off after wrong codes (1, 2, 4… s): how long before a code is checked again."""
    allowed, details = device.verify_is_allowed()
    if allowed or not details or not details.get("locked_until"):
        return 0
    return max(1, math.ceil((details["locked_until"] - timezone.now()).total_seconds()))


def check_code(user: User, device: TOTPDevice, code: str) -> bool:
    return verify_token(user, device.persistent_id, code) is not None


# --- The admin ----------------------------------------------------------------------------------


class StaffAdminSite(OTPAdminSite):
    """The admin opens only to a session verified by a TOTP code; its sign-in is the dashboards' staff form
    (vigilants/urls.py mounts it at /admin/login/), so the admin shares its lockout and its second factor."""

    site_header = gettext_lazy("Administration de Vigilants")
    site_title = gettext_lazy("Administration de Vigilants")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
