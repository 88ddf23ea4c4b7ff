"""Cache keys a view reads in the request's first round trip to Redis, instead of a round trip of their own.

Every API request goes to Redis before its view runs: a signed-in device's for its kept token and its read's
count (accounts/signin_cache.py), an anonymous one for its throttle count (vigilants/throttling.py). A view that
knows, before authentication, which cache keys it will read (a kept page, its version) names them here; the
first round trip reads them too, and the view finds their values with `ridden`. Without Redis, or when nothing
read them, `ridden` answers None and the view reads them itself.
"""

from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

RIDERS_ATTRIBUTE = "read_with_first_round_trip"


@dataclass
class Riders:
    """`found`, once read: the values of the keys present (None while not read)."""

    keys: list[str]
    found: dict[str, Any] | None = None


def ride(request: Any, keys: list[str]) -> None:
    """Before authentication and throttling: the request's first round trip to Redis also reads these keys, with
    those other parts of the view (a mixin, the view itself) named before it."""
    riders = getattr(request, RIDERS_ATTRIBUTE, None)
    if isinstance(riders, Riders) and riders.found is None:
        riders.keys += [key for key in keys if key not in riders.keys]
    else:
        setattr(request, RIDERS_ATTRIBUTE, Riders(list(keys)))


def unread(request: Any) -> Riders | None:
    """The riders the first round trip must read, if any and not read yet."""
    riders = getattr(request, RIDERS_ATTRIBUTE, None)
    return riders if isinstance(riders, Riders) and riders.keys and riders.found is None else None


def ridden(request: Any, keys: list[str]) -> dict[str, Any] | None:
    """The values present among these keys, if the first round trip read every one of them; else None."""
    riders = getattr(request, RIDERS_ATTRIBUTE, None)
    if not isinstance(riders, Riders) or riders.found is None or not set(keys) <= set(riders.keys):
        return None
    return {key: riders.found[key] for key in keys if key in riders.found}


def values(request: Any, keys: list[str]) -> dict[str, Any]:
    """The values present among these keys: as the first round trip read them, or else (no Redis then, or not
    named before authentication) from the cache in one round trip of their own."""
    found = ridden(request, keys)
    return found if found is not None else caches["default"].get_many(keys)
