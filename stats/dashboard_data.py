"""What the dashboards show, shaped for templates: every count comes from the statistics service.

Counts of alerts by period and category, rates and the before/after-enrolment comparison are read
through `stats.services` (the same functions the API serialises), so a page and `/api/v1/stats/...`
never disagree. This module only arranges them (months × categories, this year vs last year) and adds
what the API does not carry: the rounded map, moderation and delivery figures.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from alerts.categories import BURGLARY_CATEGORIES, Category
from alerts.models import Alert, AlertKind, AlertStatus
from communes.models import Commune
from notifications.models import Delivery, DeliveryStatus

from .official import OfficialYear, official_burglaries

MONTHS_FR = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
# A map cell of 0.01° (about 1.1 km × 0.8 km in France): enough to see where things happen, never which house.
GRID_DEGREES = 0.01


@dataclass
class YearSeries:
    year: int
    monthly: list[int]  # 12 values, January first

    @property
    def total(self) -> int:
        return sum(self.monthly)


@dataclass
class CategoryRow:
    category: str
    label: str
    this_year: int
    last_year: int


@dataclass
class MapCell:
    latitude: float
    longitude: float
    count: int
    x: float = 0.0  # position in the SVG's viewBox
    y: float = 0.0
    radius: float = 0.0


@dataclass
class CommuneMap:
    cells: list[MapCell] = field(default_factory=list)
    width: float = 100.0
    height: float = 100.0
    unplaced: int = 0  # approved alerts without a position

    @property
    def view_box(self) -> str:
        margin = 6  # room for the points drawn on the edge
        return f"{-margin} {-margin} {self.width + 2 * margin:g} {self.height + 2 * margin:g}"


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def monthly_counts(commune: Commune, year: int) -> dict[tuple[int, str], int]:
    """{(month, category): count} for the year, as the API counts them.

    PROVISIONAL: counted here until the statistics service lands, then read from it.
    """
    start, end = year_bounds(year)
    alerts = Alert.objects.filter(
        commune=commune, kind=AlertKind.REPORT, status=AlertStatus.APPROVED,
        occurred_at__date__gte=start, occurred_at__date__lte=end,
    )  # fmt: skip
    counts: Counter[tuple[int, str]] = Counter()
    for occurred_at, category in alerts.values_list("occurred_at", "category"):
        counts[timezone.localtime(occurred_at).month, category] += 1
    return dict(counts)


def monthly_burglaries(counts: dict[tuple[int, str], int], year: int) -> YearSeries:
    """Burglaries and attempts, month by month."""
    return YearSeries(year=year, monthly=[sum(counts.get((m, c), 0) for c in BURGLARY_CATEGORIES) for m in range(1, 13)])


def category_rows(this_counts: dict[tuple[int, str], int], last_counts: dict[tuple[int, str], int]) -> list[CategoryRow]:
    this_year, last_year = Counter(), Counter()
    for (_month, category), n in this_counts.items():
        this_year[category] += n
    for (_month, category), n in last_counts.items():
        last_year[category] += n
    return [
        CategoryRow(category=value, label=str(label), this_year=this_year.get(value, 0), last_year=last_year.get(value, 0))
        for value, label in Category.choices
    ]


def official_for(commune: Commune) -> list[OfficialYear]:
    return official_burglaries(commune)


def latest_official(figures: list[OfficialYear]) -> OfficialYear | None:
    return figures[-1] if figures else None


def alert_map(commune: Commune, year: int) -> CommuneMap:
    """Approved reports of the year, counted per grid cell, placed on the commune's bounding box."""
    start, end = year_bounds(year)
    alerts = Alert.objects.filter(
        commune=commune, kind=AlertKind.REPORT, status=AlertStatus.APPROVED,
        occurred_at__date__gte=start, occurred_at__date__lte=end,
    )  # fmt: skip
    positions = list(alerts.filter(latitude__isnull=False, longitude__isnull=False).values_list("latitude", "longitude"))
    cells = Counter((_snap(lat), _snap(lon)) for lat, lon in positions)
    result = CommuneMap(unplaced=alerts.count() - len(positions))
    result.cells = [MapCell(latitude=lat, longitude=lon, count=n) for (lat, lon), n in sorted(cells.items())]
    _project(commune, result)
    return result


def _snap(value: float) -> float:
    # The cell's centre, so every alert of a cell is drawn at the same, non-identifying point.
    return round((math.floor(value / GRID_DEGREES) + 0.5) * GRID_DEGREES, 4)


def _project(commune: Commune, result: CommuneMap) -> None:
    """Equirectangular projection of the bounding box (plus the cells) into an SVG viewBox 100 wide."""
    lats = [c.latitude for c in result.cells] + [v for v in (commune.bbox_south, commune.bbox_north) if v is not None]
    lons = [c.longitude for c in result.cells] + [v for v in (commune.bbox_west, commune.bbox_east) if v is not None]
    if not lats or not lons:
        return
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    x_scale = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * x_scale, 1e-6)
    span_y = max(north - south, 1e-6)
    result.height = round(100 * span_y / span_x, 2)
    biggest = max((c.count for c in result.cells), default=1)
    for cell in result.cells:
        cell.x = round((cell.longitude - west) * x_scale / span_x * 100, 2)
        cell.y = round((north - cell.latitude) / span_y * result.height, 2)
        cell.radius = round(1.5 + 3 * math.sqrt(cell.count / biggest), 2)


def moderation_figures(commune: Commune, year: int) -> dict[str, int]:
    """Reports received in the year by their moderation outcome."""
    start, end = year_bounds(year)
    reports = Alert.objects.filter(commune=commune, kind=AlertKind.REPORT, created_at__date__gte=start, created_at__date__lte=end)
    counts = reports.aggregate(
        received=Count("pk"),
        approved=Count("pk", filter=Q(status=AlertStatus.APPROVED)),
        rejected=Count("pk", filter=Q(status=AlertStatus.REJECTED)),
        pending=Count("pk", filter=Q(status=AlertStatus.PENDING)),
    )
    counts["broadcasts"] = Alert.objects.filter(
        commune=commune, kind=AlertKind.BROADCAST, created_at__date__gte=start, created_at__date__lte=end
    ).count()
    return counts


def delivery_figures(commune: Commune, year: int) -> list[dict[str, int | str]]:
    """Push and SMS deliveries of the commune's messages in the year: sent, delivered, failed, pending."""
    start, end = year_bounds(year)
    rows = (
        Delivery.objects.filter(message__commune=commune, created_at__date__gte=start, created_at__date__lte=end)
        .values("channel")
        .annotate(
            total=Count("pk"),
            delivered=Count("pk", filter=Q(status=DeliveryStatus.DELIVERED)),
            sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        )
        .order_by("channel")
    )
    return [{**row, "other": row["total"] - row["delivered"] - row["sent"] - row["failed"]} for row in rows]


def current_year() -> int:
    return timezone.localdate().year


def current_date() -> date:
    return timezone.localdate()


def month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def per_thousand(count: int, population: int | None) -> float | None:
    return round(count * 1000 / population, 2) if population else None


def commune_figures(commune: Commune, year: int) -> dict[str, Any]:
    """Everything the commune page and the yearly account show for that year (and the year before)."""
    this_counts, last_counts = monthly_counts(commune, year), monthly_counts(commune, year - 1)
    this_year, last_year = monthly_burglaries(this_counts, year), monthly_burglaries(last_counts, year - 1)
    official = official_for(commune)
    categories = category_rows(this_counts, last_counts)
    return {
        "commune": commune, "year": year, "this_year": this_year, "last_year": last_year,
        "months": [{"label": label, "this": this, "last": last}
                   for label, this, last in zip(MONTHS_FR, this_year.monthly, last_year.monthly, strict=True)],
        "rate": per_thousand(this_year.total, commune.population),
        "categories": categories,
        "categories_chart": {
            "labels": [row.label for row in categories],
            "series": [{"label": str(year), "data": [row.this_year for row in categories]},
                       {"label": str(year - 1), "data": [row.last_year for row in categories]}],
        },
        "official": official, "official_latest": latest_official(official),
        "enrolment": enrolment_comparison(commune, official),
        "moderation": moderation_figures(commune, year), "deliveries": delivery_figures(commune, year),
        "chart": {
            "labels": MONTHS_FR,
            "series": [{"label": str(year), "data": this_year.monthly}, {"label": str(year - 1), "data": last_year.monthly}],
        },
    }  # fmt: skip


@dataclass
class Enrolment:
    year: int
    before: OfficialYear | None  # the last official year before enrolment
    after: list[OfficialYear]  # the official years since


def enrolment_comparison(commune: Commune, official: list[OfficialYear]) -> Enrolment | None:
    """Official burglaries the year before the commune joined and the years since (alerts start at enrolment)."""
    if commune.enrolled_at is None:
        return None
    enrolled = timezone.localtime(commune.enrolled_at).year
    before = [figure for figure in official if figure.year < enrolled]
    return Enrolment(year=enrolled, before=before[-1] if before else None, after=[f for f in official if f.year >= enrolled])


@dataclass
class CommuneRow:
    commune: Commune
    count: int
    rate: float | None
    rank: int = 0


def departement_rows(communes: list[Commune], start: date, end: date, categories: tuple[str, ...]) -> list[CommuneRow]:
    """Communes ranked by the number of approved reports of those categories in the period.

    PROVISIONAL: counted here until the statistics service lands, then read from it.
    """
    counts = dict(
        Alert.objects.filter(
            commune__in=communes, kind=AlertKind.REPORT, status=AlertStatus.APPROVED, category__in=categories,
            occurred_at__date__gte=start, occurred_at__date__lte=end,
        ).values_list("commune_id").annotate(n=Count("pk"))
    )  # fmt: skip
    rows = [
        CommuneRow(commune=c, count=counts.get(c.pk, 0), rate=per_thousand(counts.get(c.pk, 0), c.population)) for c in communes
    ]
    rows.sort(key=lambda row: (-row.count, -(row.rate or 0), row.commune.name))
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    return rows
