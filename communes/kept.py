"""A commune by its INSEE code, kept in each process while the communes' version stays the same.

Every commune-scoped request reads its commune; for the statistics answered from their cache (a mayor's
dashboard reloading, a gendarme's screen) it was the one statement left to PostgreSQL. The communes change
rarely and each change gives them a new version (communes/answers.py: at once and at commit, for the public
answers); the version is read with the device token in its round trip to Redis (accounts.read_first),
so a kept commune costs no round trip at all. A fresh instance each time (unpickled): a view may change its
commune without changing the kept one.
"""

import pickle
import time
from typing import Any

from vigilants.riders import ridden

from . import answers
from .models import Commune

_KEPT: dict[str, tuple[int, float, bytes]] = {}
_KEPT_MAX = 40_000  # every French commune, about 1 KB each
# The bound on a change no signal reports (an UPDATE in bulk), as for the public answers.
KEEP_SECONDS = answers.ENTRY_SECONDS


def version_keys() -> list[str]:
    """What a view reads with the token to use kept communes."""
    return [answers.VERSION_KEY]


def commune_by_insee(request: Any, insee: str) -> Commune | None:
    """Commune.objects.by_insee, from this process's copy when the communes' version read with the token is the
    one it was kept under; else from the database (kept for next time when a version was read)."""
    found = ridden(request, version_keys())
    version = found.get(answers.VERSION_KEY) if found is not None else None
    if not isinstance(version, int):
        return Commune.objects.by_insee(insee)  # not read with the token (no Redis), or never set
    kept, now = _KEPT.get(insee), time.monotonic()
    if kept is not None and kept[0] == version and now - kept[1] < KEEP_SECONDS:
        commune: Commune = pickle.loads(kept[2])  # noqa: S301 - pickled by this process, just below
        return commune
    fresh = Commune.objects.by_insee(insee)  # read after the version: a change meanwhile has a newer one
    if fresh is not None:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        _KEPT[insee] = (version, now, pickle.dumps(fresh, pickle.HIGHEST_PROTOCOL))
    return fresh
