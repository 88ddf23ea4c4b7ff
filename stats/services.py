"""A commune's statistics, as the API returns them and the dashboards show them.

Public entry point: `commune_statistics(commune, date_range, granularity)`. The pieces (series, rates,
comparisons, official figures) are public too so that a dashboard can show one without the rest.
"""

from decimal import Decimal

from communes.models import Commune

from . import aggregates
from .models import GeographyLevel, OfficialFigure
from .official import BURGLARIES, OfficialYear, official_burglaries
from .periods import PARIS, DateRange, Granularity, period_label, periods


def commune_statistics(commune: Commune, date_range: DateRange, granularity: Granularity) -> dict:
    """Everything GET /stats/communes/{insee} returns (see docs/API.md, "Statistics (as implemented)")."""
    series = category_series(commune, date_range, granularity)
    total = sum(item["total"] for item in series)
    burglaries = sum(item["burglaries"] for item in series)
    official = official_burglaries(commune)
    return {
        "commune": _commune(commune),
        "from": date_range.start.isoformat(),
        "to": date_range.end.isoformat(),
        "granularity": str(granularity),
        "time_basis": "occurred_at",
        "timezone": str(PARIS),
        "categories": aggregates.CATEGORIES,
        "series": series,
        "totals": {"total": total, "burglaries": burglaries, "by_category": _sum_categories(series)},
        "rates": burglary_rates(commune, burglaries),
        "year_before": year_before(commune, date_range),
        "enrolment": enrolment_comparison(commune, official),
        "moderation": aggregates.moderation_figures(commune, date_range),
        "deliveries": aggregates.delivery_figures(commune, date_range),
        "official": [official_year_dict(year) for year in official],
    }


def category_series(commune: Commune, date_range: DateRange, granularity: Granularity) -> list[dict]:
    """Every period of the range (zeros included), each with its total, burglaries and count per category."""
    counts = aggregates.category_counts(commune, date_range, granularity)
    series = []
    for start in periods(date_range, granularity):
        found = counts.get(start, {})
        by_category = {category: found.get(category, 0) for category in aggregates.CATEGORIES}
        series.append({
            "period": period_label(start, granularity),
            "start": start.isoformat(),
            "total": sum(by_category.values()),
            "burglaries": sum(by_category[c] for c in aggregates.BURGLARIES),
            "by_category": by_category,
        })  # fmt: skip
    return series


def _sum_categories(series: list[dict]) -> dict[str, int]:
    return {category: sum(item["by_category"][category] for item in series) for category in aggregates.CATEGORIES}


def per_thousand(count: int | None, base: int | Decimal | None) -> float | None:
    """A count per 1,000 inhabitants (or dwellings), rounded to 3 decimals; None when the base is unknown."""
    if count is None or not base:
        return None
    return round(count * 1000 / float(base), 3)


def burglary_rates(commune: Commune, burglaries: int) -> dict[str, object]:
    """Burglaries of the range per 1,000 inhabitants, and per 1,000 dwellings when the SSMSI gave them."""
    dwellings = commune_dwellings(commune)
    return {
        "burglaries": burglaries,
        "population": commune.population,
        "per_1000_inhabitants": per_thousand(burglaries, commune.population),
        "dwellings": None if dwellings is None else float(dwellings[0]),
        "dwellings_year": None if dwellings is None else dwellings[1],
        "per_1000_dwellings": None if dwellings is None else per_thousand(burglaries, dwellings[0]),
    }


def commune_dwellings(commune: Commune) -> tuple[Decimal, int | None] | None:
    """The commune's number of dwellings (`insee_log`) from its latest loaded SSMSI row, if any.

    Only the commune level counts: a département's dwellings are not the commune's.
    """
    row = (
        OfficialFigure.objects.filter(level=GeographyLevel.COMMUNE, code=commune.insee, indicator_slug=BURGLARIES,
                                      dwellings__isnull=False)
        .order_by("-year").values_list("dwellings", "dwellings_year").first()
    )  # fmt: skip
    if row is None:
        return None
    dwellings, year = row
    return None if dwellings is None else (dwellings, year)


def year_before(commune: Commune, date_range: DateRange) -> dict[str, object]:
    """The same days one year earlier: total approved reports and burglaries."""
    before = date_range.year_before()
    return {"from": before.start.isoformat(), "to": before.end.isoformat(), **aggregates.totals(commune, before)}


def enrolment_comparison(commune: Commune, official: list[OfficialYear], ours: bool = True) -> dict[str, object]:
    """Before/after the commune joined: official yearly burglaries around the enrolment year, ours since
    (`ours_by_year`, left out without `ours`: the yearly balance gives its own counts).

    Our alerts cannot exist before enrolment, so "before" is the SSMSI's figure only. The enrolment year
    itself is partial on both sides and is left out of both means.
    """
    if commune.enrolled_at is None:
        return {"enrolled_at": None, "year": None, "official_level": None, "official_before": None,
                "official_after": None, **({"ours_by_year": []} if ours else {})}  # fmt: skip
    enrolled = commune.enrolled_at.astimezone(PARIS)
    year = enrolled.year
    before = [y for y in official if y.year < year]
    after = [y for y in official if y.year > year]
    level = _common_level(before, after)
    return {
        "enrolled_at": enrolled.isoformat(),
        "year": year,
        "official_level": level,
        "official_before": _mean_of(before, level),
        "official_after": _mean_of(after, level),
        **({"ours_by_year": aggregates.yearly_counts(commune, since=enrolled.date())} if ours else {}),
    }


def _common_level(before: list[OfficialYear], after: list[OfficialYear]) -> str | None:
    """The finest level published on both sides: a commune's count is never compared with a département's."""
    for level in (GeographyLevel.COMMUNE, GeographyLevel.DEPARTEMENT):
        if any(y.level == level for y in before) and any(y.level == level for y in after):
            return str(level)
    return None


def _mean_of(years: list[OfficialYear], level: str | None) -> dict[str, object]:
    """The mean of the published counts at `level`; withheld years are listed, never counted as zero."""
    years = [y for y in years if y.level == level]
    published = [y.count for y in years if y.count is not None]
    return {
        "years": [y.year for y in years],
        "withheld_years": [y.year for y in years if y.withheld],
        "mean_count": round(sum(published) / len(published), 2) if published else None,
    }


def official_year_dict(year: OfficialYear) -> dict[str, object]:
    """One official year as JSON: `level` says whether it is the commune's figure or its département's."""
    return {
        "year": year.year,
        "level": year.level,
        "code": year.code,
        "count": year.count,
        "rate_per_1000_dwellings": _float(year.rate_per_thousand),
        "withheld": year.withheld,
        "complement_count": _float(year.complement_count),
        "complement_rate": _float(year.complement_rate),
    }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def commune_dict(commune: Commune) -> dict[str, object]:
    """The `commune` of the answer (the public yearly balance gives the same)."""
    return _commune(commune)


def _commune(commune: Commune) -> dict[str, object]:
    enrolled_at = commune.enrolled_at.astimezone(PARIS).isoformat() if commune.enrolled_at else None
    return {"insee": commune.insee, "name": commune.name, "departement": commune.departement,
            "population": commune.population, "enrolled_at": enrolled_at}  # fmt: skip
