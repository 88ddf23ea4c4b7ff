"""The periodic read of the State's vigilance: each configured source in turn, its levels over the enrolled
communes compared with the last known ones, a VigilanceChange per change (up or down), each in the audit log, and
`vigilance_rose` after commit for a rise to orange or red.

Nothing escapes: a source that fails (network, HTTP, malformed, stale) changes no level, is logged without
personal data, and its VigilanceSourceStatus row tells staff (/healthz, the admin). A failed read is never green.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audit.services import audit_record
from communes.models import Commune, CommuneType

from ..models import Level, VigilanceChange, VigilanceSourceStatus
from ..signals import vigilance_rose
from . import capfeeds, vigicrues
from .areas import EnrolledCommunes
from .base import LEVEL_RANK, Reading, Snapshot, SourceError
from .http import fetch

log = logging.getLogger(__name__)

ALARMING = (Level.ORANGE, Level.RED)


READ_LOCK = "risks:vigilance-read"


def read_all(now: datetime | None = None) -> None:
    """Read every configured source once (the beat task). Never raises. One read at a time: two reads comparing
    with the same last levels would write the same change twice."""
    if not (settings.VIGICRUES_URL or settings.METEOALARM_FEED_URL or settings.CAP_FEED_URLS):
        return
    if not cache.add(READ_LOCK, "1", timeout=max(60, settings.VIGILANCE_READ_SECONDS * 2)):
        log.info("vigilance: a read is already running; this one is skipped")
        return
    try:
        _read_sources(now or timezone.now())
    finally:
        cache.delete(READ_LOCK)


def _read_sources(now: datetime) -> None:
    enrolled = enrolled_communes()
    if settings.VIGICRUES_URL:
        _guarded("vigicrues", settings.VIGICRUES_URL, lambda: vigicrues.read(enrolled.codes, now), now)
    if settings.METEOALARM_FEED_URL:
        _guarded("meteoalarm", settings.METEOALARM_FEED_URL,
                 lambda: capfeeds.read_meteoalarm(enrolled, now, fetch), now)  # fmt: skip
    if settings.CAP_FEED_URLS:
        _guarded("cap", ", ".join(settings.CAP_FEED_URLS), lambda: _read_cap_feeds(enrolled, now), now)


def enrolled_communes() -> EnrolledCommunes:
    rows = Commune.objects.filter(enrolled=True, type=CommuneType.COMMUNE)
    return EnrolledCommunes({c.insee: (c.departement, c.latitude, c.longitude) for c in rows})


def _read_cap_feeds(enrolled: EnrolledCommunes, now: datetime) -> Snapshot:
    def failed(url: str, reason: str) -> None:
        _record_failure(f"cap {url}"[:300], url, reason, now)

    return capfeeds.read_cap_feeds(enrolled, now, fetch, failed)


def _guarded(name: str, url: str, read: Callable[[], Snapshot], now: datetime) -> None:
    try:
        snapshot = read()
        changes = apply_snapshot(snapshot)
    except SourceError as error:
        _record_failure(name, url, str(error), now)
        return
    except Exception as error:  # a bug or a surprise in one source must not stop the others (logged)
        log.exception("vigilance: %s: unexpected failure", name)
        _record_failure(name, url, f"erreur interne : {type(error).__name__}", now)
        return
    _record_success(name, url, snapshot.document_time, now)
    if changes:
        log.info("vigilance: %s: %d change(s)", name, len(changes))


def apply_snapshot(snapshot: Snapshot) -> list[VigilanceChange]:
    """Write the changes a successful read makes, in one transaction; rises to orange or red are announced
    after it commits."""
    codes = set(snapshot.readings) | snapshot.settled
    communes = {c.insee: c for c in Commune.objects.filter(insee__in=codes, enrolled=True, type=CommuneType.COMMUNE)}
    previous = last_levels(snapshot.source, [c.pk for c in communes.values()])
    changes = []
    with transaction.atomic():
        for insee, commune in sorted(communes.items()):
            readings = snapshot.readings.get(insee, [])
            hazards = {r.hazard for r in readings} | {h for (pk, h), level in previous.items() if pk == commune.pk and level}
            for hazard in sorted(hazards & snapshot.hazards):
                change = _change(snapshot, commune, hazard, readings, previous.get((commune.pk, hazard), ""))
                if change is not None:
                    changes.append(change)
    return changes


def last_levels(source: str, commune_ids: list[int]) -> dict[tuple[int, str], str]:
    """The last known level per (commune, hazard) for this source: its latest change's."""
    latest = (VigilanceChange.objects.filter(source=source, commune_id__in=commune_ids)
              .values("commune_id", "hazard").annotate(last=Max("id")).values_list("last", flat=True))  # fmt: skip
    rows = VigilanceChange.objects.filter(id__in=list(latest)).values_list("commune_id", "hazard", "level")
    return {(commune_id, hazard): level for commune_id, hazard, level in rows}


def _change(snapshot: Snapshot, commune: Commune, hazard: str, readings: list[Reading],
            previous: str) -> VigilanceChange | None:  # fmt: skip
    best = max((r for r in readings if r.hazard == hazard), key=lambda r: r.rank, default=None)
    level = best.level if best is not None else ""
    if level == previous:
        return None
    if LEVEL_RANK.get(level, 0) < LEVEL_RANK.get(previous, 0) and commune.insee not in snapshot.settled:
        return None  # the source did not say enough over this commune to lower it
    change = VigilanceChange.objects.create(
        commune=commune, source=snapshot.source, hazard=hazard, level=level, previous_level=previous,
        area_code=best.area_code[:40] if best else "", area_name=best.area_name[:200] if best else "",
        headline=best.headline[:300] if best else "", description=best.description if best else "",
        onset=best.onset if best else None, expires=best.expires if best else None,
        source_identifier=best.identifier[:200] if best else "",
    )  # fmt: skip
    audit_record(actor=None, action="vigilance.changed", obj=change, commune=commune, before={"level": previous},
                 after={"level": level, "source": snapshot.source, "hazard": hazard, "area": change.area_code})  # fmt: skip
    if level in ALARMING and LEVEL_RANK[level] > LEVEL_RANK.get(previous, 0):
        transaction.on_commit(lambda: vigilance_rose.send(sender=VigilanceChange, change=change))
    return change


def _status(name: str, url: str) -> VigilanceSourceStatus:
    status, _ = VigilanceSourceStatus.objects.get_or_create(name=name, defaults={"url": url[:500]})
    return status


def _record_success(name: str, url: str, document_time: datetime | None, now: datetime) -> None:
    status = _status(name, url)
    status.url, status.last_attempt_at, status.last_success_at = url[:500], now, now
    status.document_time, status.last_error, status.consecutive_failures = document_time, "", 0
    status.save()


def _record_failure(name: str, url: str, reason: str, now: datetime) -> None:
    status = _status(name, url)
    status.url, status.last_attempt_at, status.last_error_at = url[:500], now, now
    status.last_error, status.consecutive_failures = reason[:300], status.consecutive_failures + 1
    status.save()
    # Once when it starts failing, then hourly at the default period: the status row keeps the rest.
    level = logging.WARNING if status.consecutive_failures % 12 == 1 else logging.INFO
    log.log(level, "vigilance: %s failed (%d in a row): %s", name, status.consecutive_failures, reason)
