"""Reading the official SSMSI figures: yearly recorded burglaries for a commune, or for many at once."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from communes.models import Commune

from .models import GeographyLevel, OfficialFigure

BURGLARIES = "cambriolages_de_logement"  # the slug of "Cambriolages de logement", counted in Infraction
_FIELDS = [
    "level", "code", "year", "count", "rate_per_thousand", "withheld", "complement_count", "complement_rate",
    "unite_de_compte",
]  # fmt: skip


@dataclass(frozen=True)
class OfficialYear:
    """One year's official figure for a commune, or for its département when the commune's is not loaded.

    ``withheld`` means the SSMSI did not publish the commune's count (``count`` is then None, not zero);
    ``complement_count``/``complement_rate`` are then the département's average over withheld communes.
    The rate is per 1,000 dwellings for burglaries.
    """

    year: int
    level: str
    code: str
    count: int | None
    rate_per_thousand: Decimal | None
    withheld: bool
    complement_count: Decimal | None
    complement_rate: Decimal | None
    unite_de_compte: str


def official_burglaries(commune: Commune, years: Iterable[int] | None = None) -> list[OfficialYear]:
    """The commune's official yearly burglaries, oldest first, each year at the finest level loaded."""
    return official_burglaries_for([commune], years).get(commune.insee, [])


def official_burglaries_for(communes: Iterable[Commune], years: Iterable[int] | None = None) -> dict[str, list[OfficialYear]]:
    """Same for many communes in one query (the gendarmerie export), keyed by INSEE code."""
    communes = list(communes)
    if not communes:
        return {}
    found = _load(communes, None if years is None else list(years))
    return {commune.insee: _pick(found, commune) for commune in communes}


def _load(communes: list[Commune], years: list[int] | None) -> dict[tuple[str, str], dict[int, OfficialYear]]:
    area = Q(level=GeographyLevel.COMMUNE, code__in={c.insee for c in communes}) | Q(
        level=GeographyLevel.DEPARTEMENT, code__in={c.departement for c in communes}
    )
    queryset = OfficialFigure.objects.filter(area, indicator_slug=BURGLARIES)
    if years is not None:
        queryset = queryset.filter(year__in=years)
    found: dict[tuple[str, str], dict[int, OfficialYear]] = defaultdict(dict)
    for row in queryset.values(*_FIELDS):
        found[row["level"], row["code"]][row["year"]] = OfficialYear(**row)
    return found


def _pick(found: dict[tuple[str, str], dict[int, OfficialYear]], commune: Commune) -> list[OfficialYear]:
    # Year by year: a commune-level base may cover fewer years than the départemental one.
    own = found.get((GeographyLevel.COMMUNE, commune.insee), {})
    departement = found.get((GeographyLevel.DEPARTEMENT, commune.departement), {})
    return [own.get(year) or departement[year] for year in sorted(own.keys() | departement.keys())]
