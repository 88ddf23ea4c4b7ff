"""The API's default throttles, counted in fixed windows: one round trip to Redis a request.

DRF's AnonRateThrottle and UserRateThrottle keep each client's request times in a list that they read and
write back whole on every request: two round trips to Redis and a list that grows with the rate, pickled each
time (a third of the time of a cheap GET). These count requests per (scope, client, window) with one INCR and
its EXPIRE in one pipeline. The form changes, not the limits: N an hour still allows at most 2N across a window
boundary, as a sliding list allows N in any hour.

Reads (GET, HEAD, OPTIONS) and writes are counted apart: the herd of phones re-reading the alerts after a warning
must not spend anyone's budget for reporting, and the reads' budget (THROTTLE_*_READ) only stops a runaway
client or a scraper, since reads are answered from caches; CGNAT puts many phones behind one address.
"""

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.request import Request

from .cache import FallbackRedisCache, count_in
from .riders import unread

if TYPE_CHECKING:  # DRF's views read the throttle classes named in the settings: a runtime import would loop
    from rest_framework.views import APIView

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Where a request's read, counted before the throttles ran (with the device token, accounts/signin_cache.py),
# is handed to them: they use that count instead of counting again.
COUNTED_ATTRIBUTE = "read_counted"


@dataclass(frozen=True)
class Window:
    """A client's counter for one window of a rate: counted under `{ident}:{start}`, for `duration` seconds."""

    ident: str
    start: int
    duration: int


@dataclass(frozen=True)
class Counted(Window):
    count: int


def hit(key: str, window: int, request: Request | None = None) -> int:
    """Count one request under `key` (which names its window); the count expires with the window. On Redis, the
    keys the request's view asked to read in its first round trip (vigilants.riders) are read in the same one."""
    backend = caches["default"]
    if not isinstance(backend, FallbackRedisCache):
        return count_in(backend, key, window)
    riders = unread(request)
    trip = backend.round_trip(count=(key, window), read=riders.keys if riders else None)
    if trip is None or trip.count is None:  # Redis away: counted in this process, the view reads its keys itself
        return count_in(backend.fallback, key, window)
    if riders is not None:
        riders.found = trip.found
    return trip.count


class FixedWindowMixin(throttling.SimpleRateThrottle):
    """`scope` for writes, `scope`_read for reads; counted per window of the rate's period."""

    wait_seconds: float = 0.0

    def allow_request(self, request: Request, view: "APIView") -> bool:
        if request.method in SAFE_METHODS:
            self.scope = f"{self.scope}_read"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        counted = getattr(request, COUNTED_ATTRIBUTE, None)
        if isinstance(counted, Counted) and counted.ident == ident and counted.duration == self.duration:
            self.wait_seconds = max(0.0, counted.start + counted.duration - time.time())
            return counted.count <= self.num_requests
        window = _window(ident, self.duration)
        self.wait_seconds = window.start + window.duration - time.time()
        return hit(f"{ident}:{window.start}", self.duration, request) <= self.num_requests

    def wait(self) -> float | None:
        return self.wait_seconds


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    scope = "user"

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        # DRF counts an anonymous request here too, by address: a second count (and round trip) of what
        # AnonRateThrottle counts already.
        if not (request.user and request.user.is_authenticated):
            return None
        key_hash = getattr(request.auth, "key_hash", None)
        if request.method in SAFE_METHODS and isinstance(key_hash, str):
            return _token_ident(self.cache_format, self.scope, key_hash)
        return super().get_cache_key(request, view)


def _token_ident(cache_format: str, scope: str, key_hash: str) -> str:
    # Reads are counted per device token: so the count can be read with the token itself, before anyone knows
    # whose it is (accounts/signin_cache.py). A person's devices each have the reads' budget.
    return cache_format % {"scope": scope, "ident": f"token-{key_hash[:32]}"}


def _window(ident: str, duration: int) -> Window:
    return Window(ident, int(time.time() // duration * duration), duration)


def read_window(request: Request, key_hash: str) -> Window | None:
    """The window a device token's read is counted in now (the UserRateThrottle's), None for a write or when
    reads are not throttled."""
    if request.method not in SAFE_METHODS:
        return None
    throttle = UserRateThrottle()
    throttle.scope = f"{throttle.scope}_read"
    _, duration = throttle.parse_rate(throttle.get_rate())
    if duration is None:
        return None
    return _window(_token_ident(throttle.cache_format, throttle.scope, key_hash), duration)
