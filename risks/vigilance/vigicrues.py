"""Vigicrues: the flood vigilance of every river section (tronçon) in one document, and the sections' communes.

The reader asks `{VIGICRUES_URL}/InfoVigiCru.jsonld/?TypEntVigiCru=2&mode=detail`: the national synthesis, whose
`vic:estLaSyntheseDe` lists each territory and, inside, each section with its level `vic:NivInfoVigiCru` (1 green,
2 yellow, 3 orange, 4 red). Which communes a section runs through comes from VigicruesSectionCommune
(`manage.py vigicrues_sections`). Formats and samples: docs/vigilance.md.
"""

import json
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from ..models import Hazard, Level, VigicruesSectionCommune, VigilanceSource
from .base import COLOUR_NAME, Reading, Snapshot, SourceError
from .http import fetch

SYNTHESIS_PATH = "/InfoVigiCru.jsonld/?TypEntVigiCru=2&mode=detail"
SECTION = "8"  # vic:TypEntVigiCru of a section (tronçon); 5 a territory, 7 a station
LEVELS = {"1": "", "2": Level.YELLOW, "3": Level.ORANGE, "4": Level.RED}
# Past the next update Vigicrues announced (vic:DtHrSuivInfoVigiCru), this long without one is stale.
NEXT_UPDATE_GRACE = timedelta(hours=12)


def synthesis_url() -> str:
    return settings.VIGICRUES_URL + SYNTHESIS_PATH


def read(enrolled: set[str], now: datetime) -> Snapshot:
    """The sections' levels over the enrolled communes (INSEE codes) that a section runs through."""
    synthesis = parse_synthesis(fetch(synthesis_url()), now)
    communes_of = section_communes(enrolled)
    snapshot = Snapshot(source=VigilanceSource.VIGICRUES, hazards=frozenset({Hazard.FLOOD}),
                        document_time=synthesis.produced)  # fmt: skip
    sections_of: dict[str, set[str]] = defaultdict(set)
    for section, communes in communes_of.items():
        for insee in communes:
            sections_of[insee].add(section)
        level = synthesis.levels.get(section)
        if level:
            reading = _reading(section, level, synthesis)
            for insee in communes:
                snapshot.add(insee, reading)
    # A commune whose every section is in the synthesis is known; one section missing, and it is not.
    snapshot.settled = {insee for insee, sections in sections_of.items() if sections <= synthesis.levels.keys()}
    return snapshot


class Synthesis:
    def __init__(self, produced: datetime, levels: dict[str, str], names: dict[str, str], situation: str) -> None:
        self.produced, self.levels, self.names, self.situation = produced, levels, names, situation


def parse_synthesis(data: bytes, now: datetime) -> Synthesis:
    """The national synthesis, or SourceError: not JSON, not this structure, or stale."""
    info = _object(_json(data).get("vic:InfoVigiCru"), "vic:InfoVigiCru")
    produced = _date(info.get("vic:DtHrInfoVigiCru"))
    if produced is None:
        raise SourceError("vic:DtHrInfoVigiCru absente ou illisible")
    _refuse_stale(produced, _date(info.get("vic:DtHrSuivInfoVigiCru")), now)
    levels, names = {}, {}
    for territory in _list(info.get("vic:estLaSyntheseDe"), "vic:estLaSyntheseDe"):
        for item in _list(_object(territory, "territoire").get("vic:estLaSyntheseDe", []), "tronçons"):
            entity = _object(_object(item, "tronçon").get("vic:porteSurLEntite"), "vic:porteSurLEntite")
            code, level = str(entity.get("vic:CdEntVigiCru", "")), str(item.get("vic:NivInfoVigiCru", ""))
            if entity.get("vic:TypEntVigiCru") == SECTION and code and level in LEVELS:
                levels[code] = LEVELS[level]  # an unreadable level leaves the section unknown, not green
                names[code] = str(entity.get("vic:LbEntVigiCru") or "")
    if not levels:
        raise SourceError("aucun tronçon dans la synthèse")
    return Synthesis(produced, levels, names, str(info.get("vic:SituActuInfoVigiCru") or ""))


def _refuse_stale(produced: datetime, next_update: datetime | None, now: datetime) -> None:
    if now - produced > timedelta(hours=settings.VIGILANCE_STALE_AFTER_HOURS):
        raise SourceError(f"document périmé (du {produced.isoformat(timespec='minutes')})")
    if next_update is not None and now > next_update + NEXT_UPDATE_GRACE:
        raise SourceError(f"mise à jour annoncée pour {next_update.isoformat(timespec='minutes')} jamais publiée")


def _reading(section: str, level: str, synthesis: Synthesis) -> Reading:
    name = synthesis.names.get(section) or section
    headline = f"Vigilance crues {COLOUR_NAME.get(level, level)} : {name}"
    return Reading(hazard=Hazard.FLOOD, level=level, area_code=section, area_name=name, headline=headline,
                   description=synthesis.situation[:2000], identifier=f"vigicrues:{section}")  # fmt: skip


def section_communes(enrolled: set[str]) -> dict[str, set[str]]:
    rows = VigicruesSectionCommune.objects.filter(insee__in=enrolled).values_list("section", "insee")
    mapping: dict[str, set[str]] = defaultdict(set)
    for section, insee in rows:
        mapping[section].add(insee)
    return dict(mapping)


def _json(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise SourceError("pas du JSON") from None
    return _object(document, "document")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError(f"structure inattendue : {what}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if isinstance(value, dict):  # a list of one is written as the object itself
        return [value]
    if not isinstance(value, list):
        raise SourceError(f"structure inattendue : {what}")
    return value


def _date(value: Any) -> datetime | None:
    """Vigicrues writes offsets as "+0100" or "+01:00"; a date without one is no date."""
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None
