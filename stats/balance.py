"""The public yearly balance of a commune or a territory (docs/API.md, "Public yearly balance (no sign-in)").

Figures that GET /stats/communes/{insee} also gives (moderation, the commune, the enrolment comparison, the
official figures) come from the very functions behind it, under the same keys, so that a council reading both
reads the same numbers. Delivery figures come from the messages' summaries (notifications/summaries.py), which
outlive the deliveries' purge. Everything is then anonymised (anonymise.py) before it leaves.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from alerts.models import Alert, AlertKind
from communes.models import Commune, Follow, Membership, MembershipStatus
from communes.territories import Territory
from notifications.models import Message, MessageKind
from notifications.services import call_minute_price, sms_segment_price
from notifications.summaries import Figures, figures_of
from risks.models import MessageType, RiskWarning

from . import aggregates, anonymise
from .branding import current_brand
from .official import official_burglaries
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
def figures(communes: list[Commune], date_range: DateRange) -> dict[str, dict[str, Any]]:
    """People, moderation, warnings and sending over these communes (people counted once across them)."""
    ids = [c.pk for c in communes]
    moderation = aggregates.moderation_figures_of(Q(commune_id__in=ids), date_range)
    received = sum(int(moderation[k]) for k in ("approved", "rejected", "pending"))  # type: ignore[call-overload]
    messages = Message.objects.filter(commune_id__in=ids, created_at__gte=date_range.bounds()[0],
                                      created_at__lt=date_range.bounds()[1])  # fmt: skip
    sent = figures_of(messages)
    return {
        "people": people(ids, date_range),
        "moderation": {"received": received, **moderation},
        "warnings": warnings(ids, date_range, [f for kind, f in sent if kind == MessageKind.BROADCAST]),
        "sending": sending(len(sent), [f for _, f in sent]),
    }


def people(ids: list[int], date_range: DateRange) -> dict[str, Any]:
    """Approved members who had joined by the end of the year (for the current one: today), and followers."""
    end = min(date_range.bounds()[1], timezone.now())
    members = Membership.objects.filter(commune_id__in=ids, status=MembershipStatus.APPROVED)
    members = members.annotate(joined=Coalesce(F("decided_at"), F("created_at"))).filter(joined__lt=end)
    following = Follow.objects.filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=end), commune_id__in=ids,
                                      created_at__lt=end)  # fmt: skip
    return {
        "members": members.values("user_id").distinct().count(),
        "followers": following.values("user_id").distinct().count(),
        "counted_on": timezone.localtime(end, PARIS).date().isoformat() if end < date_range.bounds()[1]
        else date_range.end.isoformat(),
    }  # fmt: skip


def warnings(ids: list[int], date_range: DateRange, sent: list[Figures]) -> dict[str, Any]:
    """Public warnings issued (new threads) and the mayors' broadcasts, and how fast their messages reached."""
    low, high = date_range.bounds()
    public = RiskWarning.objects.filter(commune_id__in=ids, sent_at__gte=low, sent_at__lt=high, msg_type=MessageType.ALERT)
    broadcasts = Alert.objects.filter(commune_id__in=ids, kind=AlertKind.BROADCAST, created_at__gte=low, created_at__lt=high)
    recipients = sum(f.recipients for f in sent)
    quick = sum(f.reached_within_5_minutes for f in sent)
    return {
        "public_warnings": public.count(),
        "mayor_broadcasts": broadcasts.count(),
        "messages": len(sent),
        "recipients": recipients,
        "reached_within_5_minutes": quick,
        "share_reached_within_5_minutes": round(quick / recipients, 4) if recipients else None,
    }


def sending(messages: int, sent: list[Figures]) -> dict[str, Any]:
    """Every message of the year (alerts, follow-ups, broadcasts, warnings, reminders): SMS and calls, and
    their cost estimated with the configured prices (the providers' bills are what counts)."""
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


def official(commune: Commune) -> dict[str, Any]:
    """The statistics API's `enrolment` (without our own yearly counts, given above) and `official`."""
    years = official_burglaries(commune)
    enrolment = enrolment_comparison(commune, years)
    enrolment.pop("ours_by_year")
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
    raw = {**figures([commune], year_range(year)), **official(commune)}
    shown, suppressed = anonymise.anonymise(raw)
    return {"commune": commune_dict(commune), **shown, "suppressed": suppressed}


def territory_balance(territory: Territory, year: int) -> dict[str, Any]:
    """The territory's balance: its totals over its communes enrolled by then, and each commune's line."""
    communes = territory_communes(territory, year)
    raw_lines = [{**figures([c], year_range(year)), **official(c)} for c in communes]
    raw_total = {**figures(communes, year_range(year)), "official": territory_official(raw_lines)}
    hidden_lines = [anonymise.anonymise(line) for line in raw_lines]
    total, suppressed = anonymise.anonymise(raw_total, also=anonymise.complementary([h[1] for h in hidden_lines]))
    return {
        **_header(year),
        "territory": {"kind": territory.kind, "code": territory.code, "name": territory.name,
                      "communes": len(communes)},
        **total,
        "suppressed": suppressed,
        "communes": [{"commune": commune_dict(c), **shown, "suppressed": hidden}
                     for c, (shown, hidden) in zip(communes, hidden_lines, strict=True)],
    }  # fmt: skip

