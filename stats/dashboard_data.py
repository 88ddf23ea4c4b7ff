"""What the dashboards show, shaped for templates: every count comes from the statistics service.

A commune's year is `stats.services.commune_statistics` for 1 January – 31 December, the very function
behind GET /api/v1/stats/communes/{insee}, so a page and the API never disagree. What counts (approved
residents' reports, by `occurred_at`, in Paris time) is `stats.aggregates.approved_reports`, also used for
the map and the département ranking. This module only arranges the numbers (months × categories, this
year against last) and adds the map of grid cells (communes.maps), which the API does not carry.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from alerts.models import Alert, AlertKind
from communes.maps import CommuneMap, MapPoint
from communes.models import Commune
from vigilants.categories import Category

from . import aggregates, services
from .periods import DateRange, Granularity

# French, in the request's language when it asks for another (the English catalogue).
MONTHS_FR = [
    pgettext_lazy("mois abrégé", "janv."),
    pgettext_lazy("mois abrégé", "févr."),
    pgettext_lazy("mois abrégé", "mars"),
    pgettext_lazy("mois abrégé", "avr."),
    pgettext_lazy("mois abrégé", "mai"),
    pgettext_lazy("mois abrégé", "juin"),
    pgettext_lazy("mois abrégé", "juil."),
    pgettext_lazy("mois abrégé", "août"),
    pgettext_lazy("mois abrégé", "sept."),
    pgettext_lazy("mois abrégé", "oct."),
    pgettext_lazy("mois abrégé", "nov."),
    pgettext_lazy("mois abrégé", "déc."),
]
# A map cell of 0.01° (about 1.1 km × 0.8 km in France): enough to see where things happen, never which house.
GRID_DEGREES = 0.01


@dataclass
class CategoryRow:
    category: str
    label: str
    this_year: int
    last_year: int


@dataclass
class CommuneRow:
    commune: Commune
    count: int
    rate: float | None
    rank: int = 0


def current_date() -> date:
    return timezone.localdate()


def current_year() -> int:
    return current_date().year


def month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def year_range(year: int) -> DateRange:
    return DateRange(date(year, 1, 1), date(year, 12, 31))


def commune_figures(commune: Commune, year: int) -> dict[str, Any]:
    """Everything the commune page and the yearly account show for a year, and the year before."""
    stats = services.commune_statistics(commune, year_range(year), Granularity.MONTH)
    last_series = services.category_series(commune, year_range(year - 1), Granularity.MONTH)
    this_monthly = _shown_months([item["burglaries"] for item in stats["series"]], year)
    last_monthly = [item["burglaries"] for item in last_series]
    categories = category_rows(stats["totals"]["by_category"], _by_category(last_series))
    return {
        "commune": commune, "year": year, "statistics": stats,
        "this_total": stats["totals"]["burglaries"], "last_total": sum(last_monthly), "last_year": year - 1,
        "months": [{"label": label, "this": this, "last": last}
                   for label, this, last in zip(MONTHS_FR, this_monthly, last_monthly, strict=True)],
        "rates": stats["rates"], "categories": categories, "enrolment": stats["enrolment"],
        "official": stats["official"], "official_latest": stats["official"][-1] if stats["official"] else None,
        "moderation": _moderation(commune, year, stats["moderation"]), "deliveries": _deliveries(stats["deliveries"]),
        "chart": _chart(MONTHS_FR, year, this_monthly, last_monthly),
        "categories_chart": _chart([r.label for r in categories], year, [r.this_year for r in categories],
                                   [r.last_year for r in categories]),
    }  # fmt: skip


def _shown_months(values: list[int], year: int) -> list[int | None]:
    """Months not yet begun are unknown, not zero: None draws no bar and shows a dash."""
    today = current_date()
    begun = 12 if year < today.year else (today.month if year == today.year else 0)
    return [value if month < begun else None for month, value in enumerate(values)]


def _by_category(series: list[dict[str, Any]]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for item in series:
        totals.update(item["by_category"])
    return dict(totals)


def category_rows(this_totals: dict[str, int], last_totals: dict[str, int]) -> list[CategoryRow]:
    return [
        CategoryRow(category=value, label=str(label), this_year=this_totals.get(value, 0), last_year=last_totals.get(value, 0))
        for value, label in Category.choices
    ]


def _chart(labels: Sequence[str | Promise], year: int, this: list[int | None], last: list[int]) -> dict[str, Any]:
    return {"labels": labels, "series": [{"label": str(year), "data": this}, {"label": str(year - 1), "data": last}]}


def _moderation(commune: Commune, year: int, figures: dict[str, Any]) -> dict[str, Any]:
    """The service's moderation figures, plus the reports received and the mayor's own messages."""
    low, high = year_range(year).bounds()
    broadcasts = Alert.objects.filter(commune=commune, kind=AlertKind.BROADCAST, created_at__gte=low, created_at__lt=high)
    received = figures["approved"] + figures["rejected"] + figures["pending"]
    return {**figures, "received": received, "broadcasts": broadcasts.count()}


def _deliveries(figures: dict[str, Any]) -> dict[str, Any]:
    channels = [{"channel": channel, **values} for channel, values in figures["by_channel"].items()]
    return {**figures, "channels": channels}


def alert_map(commune: Commune, year: int) -> CommuneMap:
    """The year's counted reports on the commune's map, one point per grid cell (its centre), sized by its count."""
    alerts = aggregates.approved_reports(year_range(year)).filter(commune=commune)
    positions = list(alerts.filter(latitude__isnull=False, longitude__isnull=False).values_list("latitude", "longitude"))
    cells = Counter((_snap(lat), _snap(lon)) for lat, lon in positions if lat is not None and lon is not None)
    points = [MapPoint(latitude=lat, longitude=lon, label=_reports(n), count=n) for (lat, lon), n in sorted(cells.items())]
    return CommuneMap(
        commune, points, caption=_("Signalements publiés par maille (centre de la maille, arrondi)"),
        title=_("Carte des signalements publiés à %(name)s") % {"name": commune.name},
        label_heading=_("Signalements"), note=_map_note(alerts.count() - len(positions)),
    )  # fmt: skip


def _snap(value: float) -> float:
    # The cell's centre, so every alert of a cell is drawn at the same, non-identifying point.
    return round((math.floor(value / GRID_DEGREES) + 0.5) * GRID_DEGREES, 4)


def _reports(count: int) -> str:
    return ngettext("%(n)d signalement", "%(n)d signalements", count) % {"n": count}


def _map_note(unplaced: int) -> str:
    note = _("Chaque point regroupe les signalements d’une maille d’environ 1 km sur 0,8 km (0,01°) ; le cadre "
             "est l’emprise de la commune. Aucune adresse n’est montrée.")  # fmt: skip
    if not unplaced:
        return note
    left_out = ngettext("%(n)d signalement sans position n’est pas sur la carte.",
                        "%(n)d signalements sans position ne sont pas sur la carte.", unplaced)  # fmt: skip
    return f"{note} {left_out % {'n': unplaced}}"


def departement_rows(communes: list[Commune], start: date, end: date, categories: tuple[str, ...]) -> list[CommuneRow]:
    """Communes ranked by the reports the statistics count (those categories, that period), then by rate."""
    counted = aggregates.approved_reports(DateRange(start, end)).filter(commune__in=communes, category__in=categories)
    counts = dict(counted.values_list("commune_id").annotate(n=Count("id")))
    rows = [CommuneRow(commune=c, count=counts.get(c.pk, 0), rate=services.per_thousand(counts.get(c.pk, 0), c.population))
            for c in communes]  # fmt: skip
    rows.sort(key=lambda row: (-row.count, -(row.rate or 0), row.commune.name))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows
