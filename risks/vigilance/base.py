"""What a source's read gives the reader: each commune's readings, and which communes it knows entirely."""

from dataclasses import dataclass, field
from datetime import datetime

from ..models import Level

# "" is no vigilance (green). Only ranks are compared: a read never invents a level the source did not give.
LEVEL_RANK: dict[str, int] = {"": 0, Level.INFORMATION: 1, Level.YELLOW: 2, Level.ORANGE: 3, Level.RED: 4}
COLOUR_NAME: dict[str, str] = {
    Level.YELLOW: "jaune", Level.ORANGE: "orange", Level.RED: "rouge", Level.INFORMATION: "information",
}


class SourceError(Exception):
    """A read that must change nothing: the network, an HTTP error, a malformed or stale document. Its message
    is short, carries no personal data, and is what staff read."""


@dataclass(frozen=True)
class Reading:
    """One area's vigilance for one hazard, as the source says it (never green: green is the absence)."""

    hazard: str
    level: str
    area_code: str
    area_name: str = ""
    headline: str = ""
    description: str = ""
    onset: datetime | None = None
    expires: datetime | None = None
    identifier: str = ""

    @property
    def rank(self) -> int:
        return LEVEL_RANK.get(self.level, 0)


@dataclass
class Snapshot:
    """A successful read. `settled` are the communes whose state the source gave entirely, so that what it does not
    say over them is green; elsewhere a missing area is unknown, never green: levels there may rise, never fall."""

    source: str
    hazards: frozenset[str]
    readings: dict[str, list[Reading]] = field(default_factory=dict)  # by INSEE code
    settled: set[str] = field(default_factory=set)
    document_time: datetime | None = None

    def add(self, insee: str, reading: Reading) -> None:
        self.readings.setdefault(insee, []).append(reading)
