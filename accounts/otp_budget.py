"""The hourly budget of sign-in SMS for the whole deployment (OTP_HOURLY_BUDGET).

Against SMS pumping: whoever sends sign-in requests for thousands of numbers is stopped per number (3 per
10 minutes) and per address, but spread over many addresses and numbers only a global ceiling bounds the
bill. Windows are clock hours (UTC): one counter per hour, counted before the SMS goes.

Counted in the cache — Redis, one atomic INCR for every process — and, while the cache is not shared (Redis
down), as the sign-in codes of the hour in the database, under a lock (accounts/otp.py). A counter lost
mid-hour (Redis restarted empty) starts again from the codes the database holds for that hour.

When the budget is spent, requests get 503 with Retry-After (the end of the hour) rather than 429: nothing
the client did is wrong, the service is out of sign-in SMS for now. The operator gets one ERROR record per
hour, and `budget_state()` says how much of the hour's budget is used (for the security report).
"""

import logging
import math
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException

from .models import OtpCode

log = logging.getLogger(__name__)

WINDOW_SECONDS = 3600
_warned_here: set[int] = set()  # windows already reported by this process, when the cache cannot say


class SignInBudgetExhausted(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "otp_budget_exhausted"

    def __init__(self, wait: int) -> None:
        minutes = max(1, math.ceil(wait / 60))
        super().__init__(_(
            "Le service reçoit trop de demandes de code de connexion en ce moment : "
            "réessayez dans %(minutes)d minutes."
        ) % {"minutes": minutes})  # fmt: skip
        self.wait = wait


@dataclass(frozen=True)
class BudgetState:
    used: int  # sign-in SMS counted this hour (at most the limit)
    limit: int
    refused: int  # requests refused this hour because the budget was spent (counted in the cache only)
    resets_in: int  # seconds until the next hour's budget

    @property
    def exhausted(self) -> bool:
        return self.used >= self.limit


def _window(now: datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def _window_start(window: int) -> datetime:
    return datetime.fromtimestamp(window * WINDOW_SECONDS, tz=UTC)


def _resets_in(now: datetime) -> int:
    end = _window_start(_window(now)) + timedelta(seconds=WINDOW_SECONDS)
    return max(1, math.ceil((end - now).total_seconds()))


def _key(window: int) -> str:
    return f"otp-budget:{window}"


def count_in_database(now: datetime) -> int:
    """Sign-in codes created this hour: each one an SMS sent or being sent (failed ones are deleted)."""
    return OtpCode.objects.filter(created_at__gte=_window_start(_window(now))).count()


def take_in_cache(now: datetime) -> int:
    """Count one more sign-in SMS this hour, atomically; the count including it. May raise RedisError."""
    key = _key(_window(now))
    try:
        return cache.incr(key)
    except ValueError:  # first of the hour, or the counter was lost: start from what the database holds
        cache.add(key, count_in_database(now), timeout=WINDOW_SECONDS + 60)
        return cache.incr(key)


def give_back_in_cache(now: datetime) -> None:
    """The SMS did not go (provider refusal, SMS rate full): it does not count."""
    with suppress(ValueError, RedisError):
        cache.decr(_key(_window(now)))


def check(used: int, now: datetime) -> None:
    """Refuse when `used` (this request included) exceeds the hour's budget."""
    if used > settings.OTP_HOURLY_BUDGET:
        wait = _resets_in(now)
        _warn_operator_once(_window(now), wait)
        raise SignInBudgetExhausted(wait)


def _warn_operator_once(window: int, wait: int) -> None:
    try:
        first = cache.add(f"otp-budget-warned:{window}", 1, timeout=WINDOW_SECONDS + 60)
    except RedisError:
        first = window not in _warned_here
    _warned_here.add(window)
    if first:
        log.error(
            "sign-in SMS budget spent: %d codes this hour (OTP_HOURLY_BUDGET); new sign-in codes refused for the "
            "next %d minutes. A flood of sign-in requests (SMS pumping?) or a budget too small for the deployment.",
            settings.OTP_HOURLY_BUDGET, math.ceil(wait / 60),
        )  # fmt: skip


def budget_state() -> BudgetState:
    """This hour's sign-in SMS against OTP_HOURLY_BUDGET, for operators' pages."""
    now, limit = timezone.now(), settings.OTP_HOURLY_BUDGET
    counted: int | None
    try:
        counted = cache.get(_key(_window(now))) if getattr(cache, "using_redis", True) else None
    except RedisError:
        counted = None
    if counted is None:
        counted = count_in_database(now)
    return BudgetState(used=min(counted, limit), limit=limit, refused=max(0, counted - limit), resets_in=_resets_in(now))
