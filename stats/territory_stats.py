"""A territory's figures (an intercommunality or a département): GET /stats/territories/{kind}/{code}, its desk page.

Per enrolled commune and in total: members and followers, the moderation of reports, the reach of public
warnings, burglaries counted against the official SSMSI figures. Each block is one grouped query over all the
territory's communes (a département has 300), never a query per commune: about fifteen queries whatever its size.
The definitions are the per-commune statistics' (stats/services.py, stats/aggregates.py) where they exist.
"""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from communes.models import Commune, TerritoryKind
from communes.territories import Territory
from notifications.models import (
    ACTIVE_DELIVERY_STATUSES,
    REACHED_DELIVERY_STATUSES,
    Delivery,
    DeliveryStatus,
    Message,
    MessageSource,
    MessageStatus,
)
from notifications.summaries import figures_of, touching
from risks.models import MessageType, RiskWarning

from . import aggregates
from .aggregates import BURGLARIES, approved_reports
from .models import GeographyLevel, OfficialFigure
from .official import BURGLARIES as OFFICIAL_BURGLARIES
from .official import official_burglaries_for
from .periods import PARIS, DateRange, local_date, trunc

Counts = dict[int, dict[str, Any]]  # commune id -> figures


def enrolled_communes(territory: Territory) -> list[Commune]:
    return list(territory.communes().filter(enrolled=True).order_by("name", "insee"))


def territory_statistics(territory: Territory, date_range: DateRange, communes: list[Commune]) -> dict[str, Any]:
    """Everything GET /stats/territories/{kind}/{code} answers (docs/API.md, "Territories"); `communes` are
    the territory's enrolled ones (enrolled_communes)."""
    ids = [c.pk for c in communes]
    members, followers = _people_by_commune(ids)
    moderation = aggregates.moderation(ids, date_range)
    warnings = _warnings(ids, date_range)
    years = compared_years(territory, communes, date_range)
    burglaries = _burglaries(communes, date_range, years)
    rows: list[dict[str, Any]] = [{
        "commune": commune_dict(c), "members": members.get(c.pk, 0), "followers": followers.get(c.pk, 0),
        "moderation": moderation.of(c.pk), "warnings": warnings[c.pk],
        "burglaries": burglaries[c.pk],
    } for c in communes]  # fmt: skip
    return {
        "territory": {"kind": territory.kind, "code": territory.code, "name": territory.name,
                      "communes": territory.communes().count(), "communes_enrolled": len(communes)},
        "from": date_range.start.isoformat(), "to": date_range.end.isoformat(), "timezone": str(PARIS),
        "communes": rows,
        "totals": {
            "communes_enrolled": len(communes), "members": sum(members.values()), "followers": sum(followers.values()),
            "people": _distinct_people(ids), "moderation": moderation.total,
            "warnings": {**_sum(r["warnings"] for r in rows), **_people_reached(ids, date_range)},
            "burglaries": _burglary_totals(territory, [r["burglaries"] for r in rows], years),
        },
    }  # fmt: skip


def commune_dict(commune: Commune) -> dict[str, Any]:
    enrolled_at = commune.enrolled_at.astimezone(PARIS).isoformat() if commune.enrolled_at else None
    return {"insee": commune.insee, "name": commune.name, "departement": commune.departement,
            "population": commune.population, "enrolled_at": enrolled_at}  # fmt: skip


# Members and followers ---------------------------------------------------------------------------------------


def _people_by_commune(ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    return _count_by_commune(aggregates.members_at(ids)), _count_by_commune(aggregates.followers_at(ids))


def _count_by_commune(rows: QuerySet) -> dict[int, int]:
    return {row["commune_id"]: row["n"] for row in rows.order_by().values("commune_id").annotate(n=Count("id"))}


def _distinct_people(ids: list[int]) -> int:
    """Members and followers of any of the communes, each person once (a member who follows, of two communes)."""
    members, followers = aggregates.members_at(ids).values("user_id"), aggregates.followers_at(ids).values("user_id")
    return members.order_by().union(followers.order_by()).count()


# Public warnings ----------------------------------------------------------------------------------------------


def range_warnings(ids: list[int], date_range: DateRange) -> QuerySet[RiskWarning]:
    low, high = date_range.bounds()
    return RiskWarning.objects.filter(commune_id__in=ids, sent_at__gte=low, sent_at__lt=high)


def _kept_messages(ids: list[int], date_range: DateRange) -> QuerySet[Message]:
    """The messages of the range's warnings whose deliveries are still kept (NOTIFICATIONS_RETENTION_DAYS)."""
    cutoff = timezone.now() - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
    return _warning_messages(ids, date_range).filter(created_at__gte=cutoff)


def _kept_deliveries(ids: list[int], date_range: DateRange) -> QuerySet[Delivery]:
    messages = _kept_messages(ids, date_range).values("pk")
    return Delivery.objects.filter(message__in=messages).exclude(status=DeliveryStatus.CANCELLED)


def _warnings(ids: list[int], date_range: DateRange) -> Counts:
    """Per commune: warnings issued (and their updates and ends: messages), and the people their messages went to
    and reached, from the messages' summaries (notifications/summaries.py: kept after the deliveries' purge; a
    warning over several communes counts each person in one of them), as the public balance counts them."""
    issued = (
        range_warnings(ids, date_range).order_by().values("commune_id")
        .annotate(issued=Count("id", filter=Q(msg_type=MessageType.ALERT)), messages=Count("id"))
    )  # fmt: skip
    found: Counts = {i: {"issued": 0, "messages": 0, "recipients": 0, "reached": 0} for i in ids}
    for sent in issued:
        found[sent["commune_id"]].update(issued=sent["issued"], messages=sent["messages"])
    for counted in figures_of(_warning_messages(ids, date_range), communes=ids):
        found[counted.commune_id]["recipients"] += counted.figures.recipients
        found[counted.commune_id]["reached"] += counted.figures.reached
    for figures in found.values():
        figures["share_reached"] = _share(figures["reached"], figures["recipients"])
    return found


def _warning_messages(ids: list[int], date_range: DateRange) -> QuerySet[Message]:
    low, high = date_range.bounds()
    return Message.objects.filter(touching(ids), source_type=MessageSource.WARNING, created_at__gte=low,
                                  created_at__lt=high)  # fmt: skip


def _people_reached(ids: list[int], date_range: DateRange) -> dict[str, int]:
    """Distinct people the range's warnings reached, however many communes' warnings went to them."""
    return _kept_deliveries(ids, date_range).aggregate(
        people_reached=Count("user_id", distinct=True, filter=Q(status__in=REACHED_DELIVERY_STATUSES))
    )


def warnings_in_flight(ids: list[int], date_range: DateRange) -> bool:
    """Whether the warnings' figures may still move on their own (the cache then keeps them a few seconds)."""
    going = Delivery.objects.filter(message=OuterRef("pk"), status__in=ACTIVE_DELIVERY_STATUSES)
    unplanned = Q(status__in=[MessageStatus.QUEUED, MessageStatus.PLANNING])
    return _kept_messages(ids, date_range).filter(unplanned | Exists(going)).exists()


# Burglaries -----------------------------------------------------------------------------------------------------


def compared_years(territory: Territory, communes: list[Commune], date_range: DateRange) -> list[int]:
    """The calendar years the range touches; when none has an official figure yet (the SSMSI publishes a year
    late), the latest year that has one is added before them, so that there is always something to compare."""
    years = list(range(date_range.start.year, date_range.end.year + 1))
    area = Q(level=GeographyLevel.COMMUNE, code__in=[c.insee for c in communes])
    if territory.kind == TerritoryKind.DEPARTEMENT:
        area |= Q(level=GeographyLevel.DEPARTEMENT, code=territory.code)
    published = OfficialFigure.objects.filter(area, indicator_slug=OFFICIAL_BURGLARIES, year__lte=years[-1])
    latest = published.order_by("-year").values_list("year", flat=True).first()
    return [latest, *years] if latest is not None and latest < years[0] else years


def _burglaries(communes: list[Commune], date_range: DateRange, years: list[int]) -> Counts:
    """Per commune: burglaries counted in the range, and per year (compared_years) ours (the whole calendar
    year) against the commune's official SSMSI count (the commune's own figure only, never its département's)."""
    ids = [c.pk for c in communes]
    counted = _count_by_commune(approved_reports(date_range).filter(commune_id__in=ids, category__in=BURGLARIES))
    whole_years = DateRange(date(years[0], 1, 1), date(years[-1], 12, 31))
    by_year: dict[tuple[int, int], int] = {
        (row["commune_id"], local_date(row["year"]).year): row["n"]
        for row in approved_reports(whole_years).filter(commune_id__in=ids, category__in=BURGLARIES).order_by()
        .annotate(year=trunc("year")).values("commune_id", "year").annotate(n=Count("id"))
    }  # fmt: skip
    official = official_burglaries_for(communes, years)
    found: Counts = {}
    for commune in communes:
        own = {y.year: y for y in official.get(commune.insee, []) if y.level == GeographyLevel.COMMUNE}
        found[commune.pk] = {"counted": counted.get(commune.pk, 0), "by_year": [{
            "year": year, "counted": by_year.get((commune.pk, year), 0),
            "official": own[year].count if year in own else None,
            "official_withheld": own[year].withheld if year in own else None,
        } for year in years]}  # fmt: skip
    return found


def _burglary_totals(territory: Territory, rows: list[dict[str, Any]], years: list[int]) -> dict[str, Any]:
    """Ours against the sum of the published official counts, over the same communes (those with a published
    figure that year); for a département, its own official figure too (all its communes, enrolled or not)."""
    departement = _departement_figures(territory, years)
    by_year = []
    for index, year in enumerate(years):
        cells = [row["by_year"][index] for row in rows]
        published = [cell for cell in cells if cell["official"] is not None]
        by_year.append({
            "year": year, "counted": sum(c["counted"] for c in cells),
            "official": sum(c["official"] for c in published) if published else None,
            "official_communes": len(published),
            "counted_in_official_communes": sum(c["counted"] for c in published),
            "official_withheld_communes": sum(1 for c in cells if c["official_withheld"]),
            "official_departement": departement.get(year),
        })  # fmt: skip
    return {"counted": sum(row["counted"] for row in rows), "by_year": by_year}


def _departement_figures(territory: Territory, years: list[int]) -> dict[int, int | None]:
    if territory.kind != TerritoryKind.DEPARTEMENT:
        return {}
    rows = OfficialFigure.objects.filter(level=GeographyLevel.DEPARTEMENT, code=territory.code,
                                         indicator_slug=OFFICIAL_BURGLARIES, year__in=years)  # fmt: skip
    return dict(rows.values_list("year", "count"))


# Helpers --------------------------------------------------------------------------------------------------------


def _sum(rows: Any) -> dict[str, Any]:
    keys = ["issued", "messages", "recipients", "reached"]
    total = dict.fromkeys(keys, 0)
    for row in rows:
        for key in keys:
            total[key] += row[key]
    return {**total, "share_reached": _share(total["reached"], total["recipients"])}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def as_of(communes: list[Commune]) -> str:
    """What the cached answer depends on in the communes themselves (an enrolment, a name, a population)."""
    return "|".join(f"{c.pk}:{c.name}:{c.population}:{c.enrolled_at.isoformat() if c.enrolled_at else ''}"
                    for c in communes)  # fmt: skip

