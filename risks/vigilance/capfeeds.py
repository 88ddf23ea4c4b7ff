"""CAP 1.2 sources: MeteoAlarm's Atom feed for France (Météo-France's vigilance by département) and any CAP feed
or document a deployment names (CAP_FEED_URLS). The same parser reads both (risks/cap_parse.py).

MeteoAlarm's feed lists every warning in force, one entry per area, each linking its CAP message and repeating
its geocode (EMMA_ID): only the messages over a département with an enrolled commune are fetched. A message that
cannot be fetched or read leaves its départements unknown (no level there falls), never green.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from ..cap_parse import AtomEntry, AtomFeed, CapAlert, CapError, CapInfo, parse_alert, parse_document
from ..models import Hazard, VigilanceSource
from .areas import EnrolledCommunes, communes_of_area, departements_of_geocodes
from .base import Reading, Snapshot, SourceError
from .emma import EMMA_DEPARTEMENTS

log = logging.getLogger(__name__)

MAX_MESSAGES_PER_READ = 120  # France's feed holds a few dozen at most; more is a feed gone wrong
# Fetching the messages stops after this long (a slow server): the rest is left unknown, the read ends in time.
FETCH_BUDGET_SECONDS = 90.0
CAP_HAZARDS = frozenset(Hazard)  # what a CAP source may speak of
CATEGORY_HAZARD = {"Fire": Hazard.FOREST_FIRE, "Env": Hazard.INDUSTRIAL, "CBRNE": Hazard.INDUSTRIAL}
METROPOLITAN = frozenset(dep for deps in EMMA_DEPARTEMENTS.values() for dep in deps)

Fetch = Callable[[str], bytes]


@dataclass
class _Read:
    """What the documents gave: readings by commune, and the communes some document failed to tell about."""

    snapshot: Snapshot
    unknown: set[str] = field(default_factory=set)
    alerts: list[CapAlert] = field(default_factory=list)


def read_meteoalarm(enrolled: EnrolledCommunes, now: datetime, fetch: Fetch) -> Snapshot:
    snapshot = Snapshot(source=VigilanceSource.METEO_FRANCE, hazards=CAP_HAZARDS)
    state = _Read(snapshot)
    feed = _feed_or_alert(fetch(settings.METEOALARM_FEED_URL))
    if not isinstance(feed, AtomFeed):
        raise SourceError("pas un flux Atom")
    _refuse_stale(feed.updated, now)
    snapshot.document_time = feed.updated
    _collect_feed(feed, enrolled, now, fetch, state)
    _add_readings(state, enrolled, now)
    # The feed lists every warning in force in metropolitan France: elsewhere in it, silence is green.
    snapshot.settled = enrolled.in_departements(tuple(METROPOLITAN)) - state.unknown
    return snapshot


def read_cap_feeds(enrolled: EnrolledCommunes, now: datetime, fetch: Fetch,
                   failed: Callable[[str, str], None]) -> Snapshot:  # fmt: skip
    """Every CAP_FEED_URLS document together; one that fails is reported through `failed(url, reason)` and the
    others still count, but then no level falls this time (what the failed one says is unknown)."""
    snapshot = Snapshot(source=VigilanceSource.CAP_FEED, hazards=CAP_HAZARDS)
    state, complete = _Read(snapshot), True
    for url in settings.CAP_FEED_URLS:
        try:
            document = _feed_or_alert(fetch(url))
            if isinstance(document, AtomFeed):
                _refuse_stale(document.updated, now)
                _collect_feed(document, enrolled, now, fetch, state)
            else:
                state.alerts.append(document)
        except SourceError as error:
            failed(url, str(error))
            complete = False
    _add_readings(state, enrolled, now)
    snapshot.settled = (enrolled.codes - state.unknown) if complete else set()
    return snapshot


def _feed_or_alert(data: bytes) -> AtomFeed | CapAlert:
    try:
        return parse_document(data)
    except CapError as error:
        raise SourceError(f"document illisible : {error}") from None


def _refuse_stale(updated: datetime | None, now: datetime) -> None:
    if updated is not None and now - updated > timedelta(hours=settings.VIGILANCE_STALE_AFTER_HOURS):
        raise SourceError(f"flux périmé (du {updated.isoformat(timespec='minutes')})")


def _collect_feed(feed: AtomFeed, enrolled: EnrolledCommunes, now: datetime, fetch: Fetch, state: _Read) -> None:
    fetched: dict[str, CapAlert | None] = {}
    deadline = time.monotonic() + FETCH_BUDGET_SECONDS
    for entry in feed.entries:
        if entry.expires is not None and entry.expires <= now:
            continue
        departements = departements_of_geocodes(entry.geocodes)
        if entry.geocodes and not enrolled.in_departements(departements):
            continue  # over no enrolled commune: not even fetched
        alert = entry.alert or (_linked_alert(entry, fetch, fetched) if time.monotonic() < deadline else None)
        if alert is None:
            # Unreadable: what it says over its départements is unknown (all of them if it names none).
            state.unknown |= enrolled.in_departements(departements) if departements else enrolled.codes
        elif alert not in state.alerts:
            state.alerts.append(alert)


def _linked_alert(entry: AtomEntry, fetch: Fetch, fetched: dict[str, CapAlert | None]) -> CapAlert | None:
    if not entry.cap_links:
        return None
    url = entry.cap_links[0]
    if url not in fetched:
        if len(fetched) >= MAX_MESSAGES_PER_READ:
            log.warning("vigilance: more than %d CAP messages in one feed; the rest are left unknown",
                        MAX_MESSAGES_PER_READ)  # fmt: skip
            return None
        try:
            fetched[url] = parse_alert(fetch(url))
        except (SourceError, CapError) as error:
            log.warning("vigilance: CAP message unreadable (%s): %s", url[:200], error)
            fetched[url] = None
    return fetched[url]


def _add_readings(state: _Read, enrolled: EnrolledCommunes, now: datetime) -> None:
    superseded = {identifier for alert in state.alerts for _, identifier, _ in alert.references}
    for alert in state.alerts:
        if alert.identifier in superseded or not _counts(alert):
            continue
        for info in _current_infos(alert, now):
            _add_info(alert, info, state, enrolled)


def _counts(alert: CapAlert) -> bool:
    """Only real public messages: a Test, an Exercise, a Draft or a System message never changes a level; a
    Cancel says its areas are back to nothing, which is the absence of a reading."""
    return alert.status == "Actual" and alert.scope != "Private" and alert.msg_type in ("Alert", "Update")


def _current_infos(alert: CapAlert, now: datetime) -> list[CapInfo]:
    info = alert.info("fr")  # one language is enough: the others say the same
    if info is None or (info.expires is not None and info.expires <= now):
        return []
    return [info]


def _add_info(alert: CapAlert, info: CapInfo, state: _Read, enrolled: EnrolledCommunes) -> None:
    level, hazard = info.level, info.hazard or _category_hazard(info)
    for area in info.areas:
        communes = communes_of_area(area, enrolled)
        if communes is None:
            continue  # a place this service cannot resolve: nothing it could change
        if level is None:
            state.unknown |= communes  # an unreadable colour: neither a rise nor a fall
            continue
        if not level:
            continue  # green
        reading = Reading(
            hazard=hazard, level=level, area_code=_area_code(area.geocodes, area.description),
            area_name=area.description[:200], headline=(info.headline or info.event)[:300],
            description=info.description[:2000], onset=info.onset or info.effective, expires=info.expires,
            identifier=alert.identifier[:200],
        )  # fmt: skip
        for insee in communes:
            state.snapshot.add(insee, reading)


def _category_hazard(info: CapInfo) -> Hazard:
    return next((CATEGORY_HAZARD[each] for each in info.categories if each in CATEGORY_HAZARD), Hazard.OTHER)


def _area_code(geocodes: tuple[tuple[str, str], ...], description: str) -> str:
    if geocodes:
        name, value = geocodes[0]
        return f"{name}:{value}"[:40]
    return description[:40]
