"""A commune's statistics, computed once and served from Redis until something they show changes.

Computing them takes about fifteen queries; the answer changes when a report is filed, approved or rejected,
an alert is followed up (stats/apps.py connects alerts' `alerts_changed`), a membership changes, a person is
erased, old deliveries are purged, official figures are loaded. Each of those calls `forget(commune)` or
`forget_all()`, which move a version number on: an entry is served only while the versions it was computed
under are still the current ones, so one write forgets every range and granularity of the commune at once,
without knowing which were asked for. A request reads the versions and its entry in one round trip (MGET).

A version moves inside the writer's transaction and again after its commit: a request that read the new
version before the commit, and computed from what was not committed yet, stored under a version that the
commit then retires. Versions are random where they start, so that one evicted and created again never
matches an old entry.

Delivery statuses change without any of those events (the sender, the provider's receipts): while the
commune's messages are still being sent, an entry lives IN_FLIGHT_SECONDS; otherwise SETTLED_SECONDS, which
also bounds how long a receipt arriving later (an SMS confirmed delivered) takes to show. Whether they are
still being sent is asked before the figures are computed: a fan-out ending in between only shortens an
entry's life, and a new one starts with a message, which an approval or a follow-up announces.

Only a shared cache is used: while Redis does not answer (vigilants/cache.py falls back to each process's
memory) a version moved in one process would not be seen by the others, so statistics are then computed on
every request.
"""

import hashlib
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

from communes.models import Commune

from .periods import DateRange, Granularity

SETTLED_SECONDS = 300
IN_FLIGHT_SECONDS = 5
ALL = "stats:version:all"


def _version_key(commune_id: int) -> str:
    return f"stats:version:{commune_id}"


def _shared() -> bool:
    return bool(getattr(cache, "using_redis", False))


def _new_version() -> int:
    return secrets.randbits(62)


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # never set, or evicted: any new random start retires the entries made under the old one
        cache.set(key, _new_version(), timeout=None)


def _bump_now_and_after_commit(key: str) -> None:
    _bump(key)
    transaction.on_commit(lambda: _bump(key))


def forget(commune_id: int) -> None:
    """The commune's figures changed (or will when the current transaction commits)."""
    _bump_now_and_after_commit(_version_key(commune_id))


def forget_all() -> None:
    """Every commune's figures changed: official figures loaded, old deliveries purged."""
    _bump_now_and_after_commit(ALL)


def entry_key(commune: Commune, date_range: DateRange, granularity: Granularity) -> str:
    # The commune's own fields are in the answer: an edit (population, enrolment) makes another key.
    described = (f"{commune.pk}|{commune.insee}|{commune.name}|{commune.departement}|{commune.population}|"
                 f"{commune.enrolled_at.isoformat() if commune.enrolled_at else ''}")  # fmt: skip
    digest = hashlib.blake2b(described.encode(), digest_size=8).hexdigest()
    return f"stats:commune:{commune.pk}:{date_range.start}:{date_range.end}:{granularity}:{digest}"


def _versions(commune_id: int, found: dict[str, object]) -> tuple[object, object]:
    keys = (_version_key(commune_id), ALL)
    for key in keys:
        if key not in found:
            cache.add(key, _new_version(), timeout=None)
    if all(key in found for key in keys):
        return found[keys[0]], found[keys[1]]
    current = cache.get_many(list(keys))
    return current.get(keys[0]), current.get(keys[1])


def cached(commune: Commune, date_range: DateRange, granularity: Granularity,
           compute: Callable[[], tuple[bytes, bool]]) -> bytes:  # fmt: skip
    """The cached body if its versions are current; else `compute()` → (body, settled), stored for next time."""
    if not _shared():
        return compute()[0]
    key = entry_key(commune, date_range, granularity)
    found = cache.get_many([_version_key(commune.pk), ALL, key])
    versions = _versions(commune.pk, found)
    entry = found.get(key)
    if isinstance(entry, tuple) and entry[:2] == versions:
        return entry[2]
    body, settled = compute()
    if None not in versions and _shared():
        cache.set(key, (*versions, body), timeout=SETTLED_SECONDS if settled else IN_FLIGHT_SECONDS)
    return body


def cached_over(key: str, commune_ids: list[int], compute: Callable[[], tuple[bytes, bool]]) -> bytes:
    """The same for figures over many communes (a territory's): served while none of their versions moved.

    `key` says what the figures depend on besides (the territory, the range, its communes' own fields)."""
    if not _shared():
        return compute()[0]
    keys = [ALL, *(_version_key(pk) for pk in commune_ids)]
    stored = f"stats:over:{hashlib.blake2b(key.encode(), digest_size=16).hexdigest()}"
    found = cache.get_many([*keys, stored])
    for missing in (k for k in keys if k not in found):
        cache.add(missing, _new_version(), timeout=None)
    versions = tuple(found[k] for k in keys) if all(k in found for k in keys) else _current(keys)
    entry = found.get(stored)
    if isinstance(entry, tuple) and entry[:-1] == versions:
        return entry[-1]
    body, settled = compute()
    if None not in versions and _shared():
        cache.set(stored, (*versions, body), timeout=SETTLED_SECONDS if settled else IN_FLIGHT_SECONDS)
    return body


def _current(keys: list[str]) -> tuple[object, ...]:
    current = cache.get_many(keys)
    return tuple(current.get(k) for k in keys)
