"""Sign-in codes: 6 digits by SMS, stored as an HMAC, valid 10 minutes, once, 5 wrong tries burn it.

Each code is an SMS someone pays for, and a target for SMS pumping: codes go only to the regions the
deployment serves (OTP_ALLOWED_REGIONS), at most OTP_MAX_PER_PHONE per number per window and OTP_HOURLY_BUDGET
per hour for the whole deployment (otp_budget.py), all counted before the SMS goes, and through the same
global SMS rate as alerts (providers/ratelimit.py).
"""

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from redis.exceptions import RedisError
from rest_framework import exceptions, serializers

from providers import ratelimit
from providers.base import Outcome, SmsMessage, get_sms_backend
from vigilants.errors import ProviderUnavailable

from . import otp_budget
from .models import AuthToken, OtpCode, User
from .phone import otp_region_allowed, region_refusal

log = logging.getLogger(__name__)

# How long a sign-in request waits for its share of the global SMS rate (an alert's SMS may fill it).
SMS_RATE_WAIT_SECONDS = 5.0
# Serialises the database count between threads; PostgreSQL's advisory lock between processes.
_DATABASE_COUNT_LOCK = threading.Lock()
_ADVISORY_LOCK_KEY = 0x5649_4749_4F54  # "VIGIOT": the sign-in code counters


def _digest(phone: str, code: str) -> str:
    # Keyed: a leaked table of 6-digit codes must not be reversible by trying a million values.
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Reservation:
    otp: OtpCode
    counted_in_cache: bool
    at: datetime

    def cancel(self) -> None:
        """No SMS went: no code left behind, and it does not count against the hour's budget."""
        OtpCode.objects.filter(pk=self.otp.pk).delete()
        if self.counted_in_cache:
            otp_budget.give_back_in_cache(self.at)


def _reserve(phone: str, code_hash: str) -> _Reservation:
    """The code's row, once the number's limit and the hour's budget allow one more SMS; counted before it goes.

    At most OTP_MAX_PER_PHONE codes per number per window and OTP_HOURLY_BUDGET per hour, counted atomically
    in the cache; while the cache is down (or answering from one process's memory), in the database: the
    limits must hold across processes, since each code is an SMS someone pays for."""
    now = timezone.now()
    try:
        count = _count_in_cache(phone)
        if _cache_shared():
            _refuse_over_phone_limit(phone, count)
            used = otp_budget.take_in_cache(now)
            if _cache_shared():
                otp_budget.check(used, now)
                return _Reservation(_create(phone, code_hash, now), counted_in_cache=True, at=now)
    except RedisError:
        pass
    log.warning("sign-in code limits: cache unavailable, counting in the database")
    return _Reservation(_reserve_in_database(phone, code_hash, now), counted_in_cache=False, at=now)


def _cache_shared() -> bool:
    return getattr(cache, "using_redis", True)


def _reserve_in_database(phone: str, code_hash: str, now: datetime) -> OtpCode:
    # Counting and creating under one lock: parallel requests in any process cannot all count the same rows.
    with _DATABASE_COUNT_LOCK, transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
        since = now - timedelta(seconds=settings.OTP_PHONE_WINDOW_SECONDS)
        _refuse_over_phone_limit(phone, OtpCode.objects.filter(phone=phone, created_at__gte=since).count() + 1)
        otp_budget.check(otp_budget.count_in_database(now) + 1, now)
        return _create(phone, code_hash, now)


def _refuse_over_phone_limit(phone: str, count: int) -> None:
    if count > settings.OTP_MAX_PER_PHONE:
        raise exceptions.Throttled(wait=_retry_after(phone), detail=_("Trop de codes demandés pour ce numéro."))


def _create(phone: str, code_hash: str, now: datetime) -> OtpCode:
    expires_at = now + timedelta(seconds=settings.OTP_TTL_SECONDS)
    return OtpCode.objects.create(phone=phone, code_hash=code_hash, created_at=now, expires_at=expires_at)


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


@contextmanager
def _sms_rate_share() -> Iterator[bool]:
    """One SMS of the global SMS rate (providers/ratelimit.py), which alerts' SMS share: True once granted,
    False if not within SMS_RATE_WAIT_SECONDS. Without Redis, sign-in goes on outside the rate."""
    if settings.REDIS_URL and not _cache_shared():  # Redis known down: do not wait for its timeouts again
        log.warning("sign-in code sent outside the global SMS rate: Redis unavailable")
        yield True
        return
    try:
        hold = ratelimit.acquire(1, timeout=SMS_RATE_WAIT_SECONDS)
    except RedisError:
        log.warning("sign-in code sent outside the global SMS rate: Redis unavailable")
        yield True
        return
    if hold is None:
        yield False
        return
    try:
        yield True
    finally:
        with suppress(RedisError):
            hold.end()


def otp_request(*, phone: str) -> None:
    """Create a code and send it by SMS through the configured backend, within the deployment's limits."""
    if not otp_region_allowed(phone):
        raise serializers.ValidationError({"phone": [region_refusal()]})
    code = f"{secrets.randbelow(1_000_000):06d}"
    reservation = _reserve(phone, _digest(phone, code))
    try:
        _send(reservation.otp, phone, code)
    except BaseException:
        reservation.cancel()
        raise


def _send(otp: OtpCode, phone: str, code: str) -> None:
    with override("fr"):  # an SMS: French, whatever language the request asked for
        body = render_to_string("sms/otp.txt", {"code": code, "name": settings.BRAND_NAME}).strip()
    with _sms_rate_share() as granted:
        if not granted:
            log.warning("sign-in code %s not sent: the global SMS rate is full", otp.pk)
            raise ProviderUnavailable(SMS_RATE_WAIT_SECONDS)
        result = get_sms_backend().send_batch([SmsMessage(key=f"otp-{otp.pk}", to=phone, body=body)])[0]
    if result.outcome in (Outcome.PERMANENT, Outcome.TRANSIENT):
        log.warning("sign-in code %s not sent: %s %s", otp.pk, result.outcome, result.error_code)
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
