"""Which enrolled communes a CAP area covers: its geocodes (MeteoAlarm's EMMA_ID, INSEE commune or département
codes), else its polygons and circles tested against each commune's town hall."""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from ..cap_parse import CapArea
from .emma import departements_of_emma

INSEE_NAMES = {"INSEE", "CODE_INSEE", "INSEE_COM", "COG"}
DEPARTEMENT_NAMES = {"DEPARTEMENT", "INSEE_DEP", "CODE_DEPARTEMENT", "DEP"}
_COMMUNE = re.compile(r"[0-9][0-9AB][0-9]{3}")
_DEPARTEMENT = re.compile(r"[0-9]{2,3}|2[AB]")


@dataclass
class EnrolledCommunes:
    """The enrolled communes a read cares about: INSEE code → (département, latitude, longitude)."""

    places: dict[str, tuple[str, float | None, float | None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_departement: dict[str, set[str]] = defaultdict(set)
        for insee, (departement, _, _) in self.places.items():
            self.by_departement[departement].add(insee)

    @property
    def codes(self) -> set[str]:
        return set(self.places)

    def in_departements(self, departements: set[str] | tuple[str, ...]) -> set[str]:
        return set().union(*(self.by_departement.get(each, set()) for each in departements))


def departements_of_geocodes(geocodes: tuple[tuple[str, str], ...]) -> set[str]:
    """The départements named by EMMA_ID or département geocodes (a commune's code names its département too)."""
    found: set[str] = set()
    for name, value in geocodes:
        key, value = name.strip().upper(), value.strip().upper()
        if key == "EMMA_ID":
            found.update(departements_of_emma(value))
        elif key in DEPARTEMENT_NAMES and _DEPARTEMENT.fullmatch(value):
            found.add(value)
        elif key in INSEE_NAMES and _COMMUNE.fullmatch(value):
            found.add(value[:3] if value.startswith("97") else value[:2])
    return found


def communes_of_area(area: CapArea, enrolled: EnrolledCommunes) -> set[str] | None:
    """The enrolled communes inside `area`; None when the area names no place this service can resolve."""
    by_codes = _by_geocodes(area.geocodes, enrolled)
    if by_codes is not None:
        return by_codes
    if not area.polygons and not area.circles:
        return None
    return {insee for insee, (_, lat, lon) in enrolled.places.items()
            if lat is not None and lon is not None and _inside(area, lat, lon)}  # fmt: skip


def _by_geocodes(geocodes: tuple[tuple[str, str], ...], enrolled: EnrolledCommunes) -> set[str] | None:
    found: set[str] = set()
    known = False
    for name, value in geocodes:
        key, value = name.strip().upper(), value.strip().upper()
        if key == "EMMA_ID" and departements_of_emma(value):
            known, found = True, found | enrolled.in_departements(departements_of_emma(value))
        elif key in DEPARTEMENT_NAMES and _DEPARTEMENT.fullmatch(value):
            known, found = True, found | enrolled.in_departements((value,))
        elif key in INSEE_NAMES and _COMMUNE.fullmatch(value):
            known = True
            found |= {value} & enrolled.codes
    return found if known else None


def _inside(area: CapArea, lat: float, lon: float) -> bool:
    return any(_in_polygon(polygon, lat, lon) for polygon in area.polygons) or any(
        _in_circle(circle, lat, lon) for circle in area.circles
    )


def _points(text: str) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        lat, _, lon = pair.partition(",")
        try:
            points.append((float(lat), float(lon)))
        except ValueError:
            return []
    return points


def _in_polygon(text: str, lat: float, lon: float) -> bool:
    """Ray casting over the polygon's "lat,lon" points (small areas: the plane is close enough)."""
    points, inside = _points(text), False
    for (lat1, lon1), (lat2, lon2) in zip(points, points[1:] + points[:1], strict=True):
        if (lon1 > lon) != (lon2 > lon) and lat < (lat2 - lat1) * (lon - lon1) / (lon2 - lon1) + lat1:
            inside = not inside
    return inside


def _in_circle(text: str, lat: float, lon: float) -> bool:
    centre, _, radius = text.strip().partition(" ")
    points = _points(centre)
    try:
        radius_km = float(radius)
    except ValueError:
        return False
    if len(points) != 1:
        return False
    (clat, clon), earth_km = points[0], 6371.0
    dlat, dlon = math.radians(lat - clat), math.radians(lon - clon)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(clat)) * math.cos(math.radians(lat)) * math.sin(dlon / 2) ** 2
    return 2 * earth_km * math.asin(math.sqrt(a)) <= radius_km
