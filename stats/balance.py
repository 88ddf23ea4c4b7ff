"""The public yearly balance of a commune or a territory (docs/API.md, "Public yearly balance (no sign-in)").

Figures that GET /stats/communes/{insee} also gives (moderation, the commune, the enrolment comparison, the
official figures) come from the very functions behind it, under the same keys, so that a council reading both
reads the same numbers. Delivery figures come from the messages' summaries (notifications/summaries.py), which
outlive the deliveries' purge. Everything is then anonymised (anonymise.py) before it leaves.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from alerts.models import Alert, AlertKind
from communes.models import Commune
from communes.territories import Territory
from notifications.models import Message, MessageKind
from notifications.services import call_minute_price, sms_segment_price
from notifications.summaries import FIELDS, Figures, figures_of, touching
from risks.models import MessageType, RiskWarning

from . import aggregates, anonymise
from .branding import current_brand
from .official import OfficialYear, official_burglaries, official_burglaries_for
from .periods import PARIS, DateRange, today
from .services import commune_dict, enrolment_comparison, official_year_dict

LICENCE = {"name": "Licence Ouverte / Open Licence version 2.0",
           "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"}  # fmt: skip
FIGURES = ("people", "moderation", "warnings", "sending")


def year_range(year: int) -> DateRange:
    return DateRange(date(year, 1, 1), date(year, 12, 31))


def enrolment_year(commune: Commune) -> int | None:
    if not commune.enrolled or commune.enrolled_at is None:
        return None
    return commune.enrolled_at.astimezone(PARIS).year


def commune_years(commune: Commune) -> list[int]:
    """The years a commune's balance exists for, newest first: from its enrolment to this year."""
    first = enrolment_year(commune)
    return [] if first is None else list(range(today().year, first - 1, -1))


def territory_communes(territory: Territory, year: int) -> list[Commune]:
    """The territory's communes enrolled by the end of `year`, by name."""
    enrolled = territory.communes().filter(enrolled=True, enrolled_at__lt=year_range(year).bounds()[1])
    return list(enrolled.order_by("name", "insee"))


def territory_years(territory: Territory) -> list[int]:
    firsts = [y for c in territory.communes().filter(enrolled=True) if (y := enrolment_year(c)) is not None]
    return list(range(today().year, min(firsts) - 1, -1)) if firsts else []


# --- the figures, before anonymisation ------------------------------------------------------------------------------
TOTAL = 0  # the key of the totals over all the communes asked


def figures(communes: list[Commune], date_range: DateRange) -> dict[str, dict[str, Any]]:
    """The totals over these communes: people counted once across them, one median over all their reports."""
    return _computed(communes, date_range, grouped=False)[TOTAL]


def lines(communes: list[Commune], date_range: DateRange) -> dict[int, dict[str, dict[str, Any]]]:
    """Each commune's figures, by commune id: a few grouped queries for all, and the statistics API's own
    moderation figures for each."""
    return _computed(communes, date_range, grouped=True)


def _computed(communes: list[Commune], date_range: DateRange, grouped: bool) -> dict[int, dict[str, dict[str, Any]]]:
    ids = [c.pk for c in communes]
    members = _counts(aggregates.members_at(ids, _end(date_range)), "user_id", grouped)
    followers = _counts(aggregates.followers_at(ids, _end(date_range)), "user_id", grouped)
    public = _counts(_public_warnings(ids, date_range), "id", grouped)
    broadcasts = _counts(_broadcasts(ids, date_range), "id", grouped)
    sent: dict[int, dict[int, list[tuple[str, Figures]]]] = defaultdict(lambda: defaultdict(list))
    for counted in figures_of(_messages(ids, date_range), communes=ids):
        sent[counted.commune_id if grouped else TOTAL][counted.message_id].append((counted.kind, counted.figures))
    moderation = aggregates.moderation(ids, date_range, by_commune=grouped)
    return {
        key: {
            "people": {"members": members.get(key, 0), "followers": followers.get(key, 0),
                       "counted_on": counted_on(date_range)},
            "moderation": moderation.of(key) if grouped else moderation.total,
            "warnings": warnings(public.get(key, 0), broadcasts.get(key, 0), _of_kind(sent[key], MessageKind.BROADCAST)),
            "sending": sending(_of_kind(sent[key])),
        }
        for key in (ids if grouped else [TOTAL])
    }  # fmt: skip


def _of_kind(sent: dict[int, list[tuple[str, Figures]]], kind: str | None = None) -> dict[int, Figures]:
    """By message, its figures summed over the communes counted (a message over several: each person in one)."""
    return {message_id: _sum([f for k, f in rows if kind is None or k == kind])
            for message_id, rows in sent.items() if any(kind is None or k == kind for k, _ in rows)}  # fmt: skip


def _sum(found: list[Figures]) -> Figures:
    return Figures(**{field: sum(getattr(f, field) for f in found) for field in FIELDS})


def _counts(queryset: QuerySet[Any], field: str, grouped: bool) -> dict[int, int]:
    """Distinct `field` values, by commune or in all."""
    if grouped:
        rows = queryset.order_by().values("commune_id").annotate(n=Count(field, distinct=True))
        return {row["commune_id"]: row["n"] for row in rows}
    return {TOTAL: queryset.aggregate(n=Count(field, distinct=True))["n"]}


def _end(date_range: DateRange) -> datetime:
    """When people are counted: the end of the year, or now for the current one."""
    return min(date_range.bounds()[1], timezone.now())


def counted_on(date_range: DateRange) -> str:
    end = _end(date_range)
    return timezone.localtime(end, PARIS).date().isoformat() if end < date_range.bounds()[1] else date_range.end.isoformat()


def _public_warnings(ids: list[int], date_range: DateRange) -> QuerySet[RiskWarning]:
    """New public warnings (CAP Alert): their updates and ends are messages of the same warning."""
    low, high = date_range.bounds()
    return RiskWarning.objects.filter(commune_id__in=ids, sent_at__gte=low, sent_at__lt=high, msg_type=MessageType.ALERT)


def _broadcasts(ids: list[int], date_range: DateRange) -> QuerySet[Alert]:
    low, high = date_range.bounds()
    return Alert.objects.filter(commune_id__in=ids, kind=AlertKind.BROADCAST, created_at__gte=low, created_at__lt=high)


def _messages(ids: list[int], date_range: DateRange) -> QuerySet[Message]:
    low, high = date_range.bounds()
    return Message.objects.filter(touching(ids), created_at__gte=low, created_at__lt=high)


def warnings(public: int, broadcasts: int, by_message: dict[int, Figures]) -> dict[str, Any]:
    """Public warnings issued and the mayors' broadcasts, and how fast their messages reached people."""
    sent = list(by_message.values())
    recipients = sum(f.recipients for f in sent)
    quick = sum(f.reached_within_5_minutes for f in sent)
    return {
        "public_warnings": public,
        "mayor_broadcasts": broadcasts,
        "messages": len(sent),
        "recipients": recipients,
        "reached_within_5_minutes": quick,
        "share_reached_within_5_minutes": round(quick / recipients, 4) if recipients else None,
    }


def sending(by_message: dict[int, Figures]) -> dict[str, Any]:
    """Every message of the year (alerts, follow-ups, broadcasts, warnings, reminders): SMS and calls, and
    their cost estimated with the configured prices (the providers' bills are what counts)."""
    messages, sent = len(by_message), list(by_message.values())
    segments = sum(f.sms_segments for f in sent)
    minutes = sum(f.call_minutes for f in sent)
    sms_cost, call_cost = segments * sms_segment_price(), minutes * call_minute_price()
    return {
        "messages": messages,
        "sms_sent": sum(f.sms_sent for f in sent),
        "sms_segments": segments,
        "sms_segment_price_eur": float(sms_segment_price()),
        "sms_cost_eur": _euros(sms_cost),
        "calls": sum(f.calls for f in sent),
        "call_minutes": minutes,
        "call_minute_price_eur": float(call_minute_price()),
        "call_cost_eur": _euros(call_cost),
        "estimated_cost_eur": _euros(sms_cost + call_cost),
    }


def _euros(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def official(commune: Commune, years: list[OfficialYear] | None = None) -> dict[str, Any]:
    """The statistics API's `enrolment` (without our own yearly counts, given above) and `official`."""
    years = official_burglaries(commune) if years is None else years
    enrolment = enrolment_comparison(commune, years, ours=False)
    return {"enrolment": enrolment, "official": [official_year_dict(y) for y in years]}


def territory_official(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Official burglaries before and after enrolment, summed over the communes compared at their own level."""
    compared = [line["enrolment"] for line in lines if line["enrolment"]["official_level"] == "commune"
                and line["enrolment"]["official_before"]["mean_count"] is not None
                and line["enrolment"]["official_after"]["mean_count"] is not None]  # fmt: skip
    return {
        "communes_compared": len(compared),
        "official_before_sum": round(sum(e["official_before"]["mean_count"] for e in compared), 2) if compared else None,
        "official_after_sum": round(sum(e["official_after"]["mean_count"] for e in compared), 2) if compared else None,
    }


# --- the published documents -------------------------------------------------------------------------------------
def _header(year: int) -> dict[str, Any]:
    date_range = year_range(year)
    brand = current_brand()
    return {
        "licence": LICENCE,
        "producer": {"name": brand.name, "operator": brand.operator or None},
        "computed_at": timezone.localtime(timezone.now(), PARIS).isoformat(timespec="seconds"),
        "period": {"year": year, "from": date_range.start.isoformat(), "to": date_range.end.isoformat(),
                   "provisional": year >= today().year},
        "threshold": settings.BALANCE_MIN_COUNT,
        "definitions": anonymise.definitions(),
    }  # fmt: skip


def commune_balance(commune: Commune, year: int) -> dict[str, Any]:
    """The commune's balance for `year`, anonymised: GET /bilan/{insee}/{year}.json."""
    line = _commune_line(commune, year)
    return {**_header(year), **line}


def _commune_line(commune: Commune, year: int) -> dict[str, Any]:
    raw = {**lines([commune], year_range(year))[commune.pk], **official(commune)}
    return {"commune": commune_dict(commune), **anonymise.anonymise(raw)}


def territory_balance(territory: Territory, year: int) -> dict[str, Any]:
    """The territory's balance: its totals over its communes enrolled by then, and each commune's line."""
    communes = territory_communes(territory, year)
    found = official_burglaries_for(communes)  # one query for all of them
    each = lines(communes, year_range(year))
    raw_lines = [{**each[c.pk], **official(c, found[c.insee])} for c in communes]
    raw_total = {**figures(communes, year_range(year)), "official": territory_official(raw_lines)}
    shown_lines = [anonymise.anonymise(line) for line in raw_lines]
    total = anonymise.anonymise(raw_total, also=anonymise.complementary(line["suppressed"] for line in shown_lines))
    return {
        **_header(year),
        "territory": {"kind": territory.kind, "code": territory.code, "name": territory.name,
                      "communes": len(communes)},
        **total,
        "communes": [{"commune": commune_dict(c), **line} for c, line in zip(communes, shown_lines, strict=True)],
    }  # fmt: skip

