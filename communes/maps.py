"""What a map of a commune shows, for every page that draws one (templates/maps/_map.html).

The page builds a `CommuneMap` of points it may show; rounding positions for those who are not the
commune's moderators is the caller's business (`alerts.serializers` rounds them for the API).
"""

from dataclasses import dataclass, field

from .models import Commune


@dataclass(frozen=True)
class MapPoint:
    latitude: float
    longitude: float
    label: str
    url: str = ""
    count: int = 1


@dataclass
class CommuneMap:
    commune: Commune
    points: list[MapPoint] = field(default_factory=list)
    caption: str = ""

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """South, west, north, east: the commune's territory, or a small box around its centre."""
        c = self.commune
        if c.bbox_south is not None and c.bbox_west is not None and c.bbox_north is not None and c.bbox_east is not None:
            return (c.bbox_south, c.bbox_west, c.bbox_north, c.bbox_east)
        lat, lon = float(c.latitude or 46.6), float(c.longitude or 2.4)
        return (lat - 0.02, lon - 0.03, lat + 0.02, lon + 0.03)
