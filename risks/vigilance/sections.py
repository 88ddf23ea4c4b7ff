"""Which communes each Vigicrues section runs through, from Vigicrues' own referential: the section's stations
(`TronEntVigiCru.jsonld/?CdEntVigiCru=…&TypEntVigiCru=8`, `vic:aNMoinsUn`) and each station's commune
(`StaEntVigiCru.jsonld/?CdEntVigiCru=…&TypEntVigiCru=7`, `vic:correspondA` → `hyd:estSitueeSur` → `com:CdCommune`);
and from a list the deployment loads (`section;insee` lines: the prefecture's, the RIC's), for the communes along
a section that have no station. Run by `manage.py vigicrues_sections`, not by the periodic read: sections and
stations seldom change, and the crawl asks Vigicrues one request per section and per station."""

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from ..models import VigicruesSectionCommune
from .base import SourceError
from .http import fetch
from .vigicrues import _json, _list, _object

_INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
Origin = VigicruesSectionCommune.Origin


def crawl(sections: Iterable[str] | None = None) -> dict[str, tuple[str, set[str]]]:
    """{section: (name, communes)} from the stations' communes. SourceError if any request fails: a partial
    crawl would drop communes, so nothing is written then."""
    names = _section_names()
    wanted = list(sections) if sections else sorted(names)
    found = {}
    for section in wanted:
        stations = _stations(section)
        found[section] = (names.get(section, ""), {insee for station in stations if (insee := _commune(station))})
    return found


@transaction.atomic
def replace_from_stations(found: dict[str, tuple[str, set[str]]]) -> int:
    VigicruesSectionCommune.objects.filter(origin=Origin.STATIONS, section__in=found).delete()
    rows = [VigicruesSectionCommune(section=section, section_name=name[:200], insee=insee, origin=Origin.STATIONS)
            for section, (name, communes) in found.items() for insee in sorted(communes)]  # fmt: skip
    VigicruesSectionCommune.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def replace_from_file(path: Path) -> int:
    """`section;insee[;name]` per line (a header line is skipped); replaces every row loaded from a file."""
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line in csv.reader(handle, delimiter=";"):
            if len(line) >= 2 and _INSEE.fullmatch(line[1].strip().upper()):
                name = line[2].strip() if len(line) > 2 else ""
                rows.append(VigicruesSectionCommune(section=line[0].strip(), insee=line[1].strip().upper(),
                                                    section_name=name[:200], origin=Origin.FILE))  # fmt: skip
    VigicruesSectionCommune.objects.filter(origin=Origin.FILE).delete()
    VigicruesSectionCommune.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _section_names() -> dict[str, str]:
    document = _json(fetch(f"{settings.VIGICRUES_URL}/TronEntVigiCru.jsonld/"))
    names = {}
    for item in _list(document.get("vic:TronEntVigiCru", []), "vic:TronEntVigiCru"):
        entity = _object(item, "tronçon")
        if entity.get("vic:CdEntVigiCru"):
            names[str(entity["vic:CdEntVigiCru"])] = str(entity.get("vic:LbEntVigiCru") or "")
    if not names:
        raise SourceError("aucun tronçon dans la liste")
    return names


def _stations(section: str) -> list[str]:
    url = f"{settings.VIGICRUES_URL}/TronEntVigiCru.jsonld/?CdEntVigiCru={section}&TypEntVigiCru=8"
    entity = _object(_json(fetch(url)).get("vic:TronEntVigiCru"), "vic:TronEntVigiCru")
    return [str(_child_code(item)) for item in _list(entity.get("vic:aNMoinsUn", []), "vic:aNMoinsUn")
            if _child_code(item)]  # fmt: skip


def _child_code(item: Any) -> str:
    # Vigicrues writes the children's keys "vic:CdEntVigiCru" in some answers and "vic.CdEntVigiCru" in others.
    entity = _object(item, "station")
    return str(entity.get("vic:CdEntVigiCru") or entity.get("vic.CdEntVigiCru") or "")


def _commune(station: str) -> str | None:
    url = f"{settings.VIGICRUES_URL}/StaEntVigiCru.jsonld/?CdEntVigiCru={station}&TypEntVigiCru=7"
    entity = _object(_json(fetch(url)).get("vic:StaEntVigiCru"), "vic:StaEntVigiCru")
    place = _object(entity.get("vic:correspondA", {}), "vic:correspondA").get("hyd:estSitueeSur", {})
    insee = str(_object(place, "hyd:estSitueeSur").get("com:CdCommune") or "").upper()
    return insee if _INSEE.fullmatch(insee) else None
