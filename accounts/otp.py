"""Sign-in codes: 6 digits by SMS, stored as an HMAC, valid 10 minutes, once, 5 wrong tries burn it."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers

from notifications.transports.base import Outcome, SmsMessage, get_sms_backend
from vigilants.errors import ProviderUnavailable

from .models import AuthToken, OtpCode, User

log = logging.getLogger(__name__)


def _digest(phone: str, code: str) -> str:
    # Keyed: a leaked table of 6-digit codes must not be reversible by trying a million values.
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _reserve_slot(phone: str) -> None:
    """At most OTP_MAX_PER_PHONE codes per number per window, counted atomically in the cache; while the cache
    is down (or answering from one process's memory), in the database: the limit must hold across processes,
    since each code is an SMS someone pays for."""
    try:
        count = _count_in_cache(phone)
        shared = getattr(cache, "using_redis", True)
    except RedisError:
        shared = False
    if not shared:
        log.warning("sign-in code throttle: cache unavailable, counting in the database")
        since = timezone.now() - timedelta(seconds=settings.OTP_PHONE_WINDOW_SECONDS)
        count = OtpCode.objects.filter(phone=phone, created_at__gte=since).count() + 1
    if count > settings.OTP_MAX_PER_PHONE:
        raise exceptions.Throttled(wait=_retry_after(phone), detail=_("Trop de codes demandés pour ce numéro."))


def _count_in_cache(phone: str) -> int:
    window = settings.OTP_PHONE_WINDOW_SECONDS
    key = "otp-phone:" + hashlib.sha256(phone.encode()).hexdigest()
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def _retry_after(phone: str) -> int:
    since = timezone.now() - timedelta(seconds=settings.OTP_PHONE_WINDOW_SECONDS)
    oldest = OtpCode.objects.filter(phone=phone, created_at__gte=since).order_by("created_at").first()
    if oldest is None:
        return settings.OTP_PHONE_WINDOW_SECONDS
    remaining = oldest.created_at + timedelta(seconds=settings.OTP_PHONE_WINDOW_SECONDS) - timezone.now()
    return max(1, int(remaining.total_seconds()) + 1)


def otp_request(*, phone: str) -> None:
    """Create a code and send it by SMS through the configured backend."""
    _reserve_slot(phone)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = timezone.now()
    otp = OtpCode.objects.create(
        phone=phone, code_hash=_digest(phone, code), created_at=now,
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
    )  # fmt: skip
    body = render_to_string("sms/otp.txt", {"code": code}).strip()
    result = get_sms_backend().send_batch([SmsMessage(key=f"otp-{otp.pk}", to=phone, body=body)])[0]
    if result.outcome in (Outcome.PERMANENT, Outcome.TRANSIENT):
        log.warning("sign-in code %s not sent: %s %s", otp.pk, result.outcome, result.error_code)
        OtpCode.objects.filter(pk=otp.pk).delete()
        if result.outcome == Outcome.PERMANENT:
            raise serializers.ValidationError({"phone": [_("Impossible d'envoyer un SMS à ce numéro.")]})
        raise ProviderUnavailable(result.retry_after)


def _live_code(phone: str) -> OtpCode | None:
    return (
        OtpCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )


def otp_verify(*, phone: str, code: str) -> User:
    """The user for a right code (created on first sign-in); ValidationError otherwise."""
    otp = _live_code(phone)
    if otp is None or otp.attempts >= settings.OTP_MAX_ATTEMPTS:
        raise serializers.ValidationError({"code": [_("Code expiré ou inconnu : demandez-en un nouveau.")]})
    # Count the try before comparing, atomically, so parallel guesses cannot exceed the limit.
    claimed = OtpCode.objects.filter(pk=otp.pk, attempts__lt=settings.OTP_MAX_ATTEMPTS, used_at__isnull=True)
    if not claimed.update(attempts=F("attempts") + 1):
        raise serializers.ValidationError({"code": [_("Code expiré ou inconnu : demandez-en un nouveau.")]})
    if not hmac.compare_digest(otp.code_hash, _digest(phone, code)):
        raise serializers.ValidationError({"code": [_("Code incorrect.")]})
    OtpCode.objects.filter(pk=otp.pk).update(used_at=timezone.now())
    user, _created = User.objects.get_or_create(phone=phone)
    if not user.is_active:
        raise exceptions.PermissionDenied(_("Ce compte est désactivé."))
    return user


def sign_in(*, phone: str, code: str, device_name: str = "") -> tuple[User, str]:
    user = otp_verify(phone=phone, code=code)
    _token, key = AuthToken.objects.issue(user, device_name)
    return user, key
