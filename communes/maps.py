"""What a map of a commune shows, for every page that draws one (templates/maps/_map.html).

The page builds a `CommuneMap` of points it may show; rounding positions for those who are not the
commune's moderators is the caller's business (`alerts.geo.public_coordinate`, as the API rounds them).
The template draws the points twice: a Leaflet map (stats/static/maps/map.js reads `data`) and a table,
the map's text alternative, which is all there is without JavaScript.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .models import Commune

# Past this zoom a point rounded to ~100 m would look placed on a house: the map stops there.
MAX_ZOOM = 17


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str
    url: str = ""
    count: int = 1  # what the point stands for (alerts of one cell): the circle grows with it


@dataclass
class CommuneMap:
    commune: Commune
    points: list[MapPoint] = field(default_factory=list)
    caption: str = ""  # the table's caption; by default "Positions sur la carte"
    title: str = ""  # the map's accessible name; by default "Carte de <commune>"
    label_heading: str = ""  # the table's first column; by default "Élément"
    note: str = ""  # one sentence under the map: how positions are rounded, what is left out
    more_communes: list[Commune] = field(default_factory=list)  # outlined too: a map of several communes' alerts

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return commune_bbox(self.commune)

    @property
    def name(self) -> str:
        # Said before the map by a screen reader, which then finds the same points in the table that follows.
        title = self.title or _("Carte de %(name)s") % {"name": self.commune.name}
        return _("%(title)s ; les positions sont reprises dans le tableau qui suit.") % {"title": title}

    @property
    def data(self) -> dict[str, Any]:
        """What map.js draws, as JSON (json_script): nothing the table does not show, plus the tile server."""
        return {
            "outlines": [list(commune_bbox(c)) for c in [self.commune, *self.more_communes]],
            "points": [
                {"latitude": p.latitude, "longitude": p.longitude, "label": p.label, "url": p.url, "count": p.count}
                for p in self.points
            ],
            "tiles": _tiles(),
            "max_zoom": MAX_ZOOM,
            "texts": {"zoom_in": _("Zoom avant"), "zoom_out": _("Zoom arrière"), "close": _("Fermer")},
        }


def commune_bbox(c: Commune) -> tuple[float, float, float, float]:
    """South, west, north, east: the commune's territory, or a small box around its centre."""
    if c.bbox_south is not None and c.bbox_west is not None and c.bbox_north is not None and c.bbox_east is not None:
        return (c.bbox_south, c.bbox_west, c.bbox_north, c.bbox_east)
    lat, lon = float(c.latitude or 46.6), float(c.longitude or 2.4)
    return (lat - 0.02, lon - 0.03, lat + 0.02, lon + 0.03)


def _tiles() -> dict[str, str] | None:
    if not settings.MAP_TILE_URL:
        return None  # a closed network: the outline and the points alone
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}
