"""Date ranges and periods of the statistics, in Europe/Paris: a month or an ISO week is a French one."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField
from django.db.models.functions import TruncMonth, TruncWeek, TruncYear
from django.utils import timezone

PARIS = ZoneInfo("Europe/Paris")
MAX_SPAN_DAYS = 3653  # ten years: enough for any comparison, bounded for the week series
# Dates asked for are bounded: before any alert or official figure, a year ahead at most. Far from year 1
# and year 9999, so that every computation on a range (a year before, the day after, Paris to UTC) holds.
EARLIEST = date(2000, 1, 1)
AHEAD = timedelta(days=366)


class Granularity(StrEnum):
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True)
class DateRange:
    """Calendar days in Paris, both ends included."""

    start: date
    end: date

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 Paris, day after end 00:00 Paris): what `occurred_at__gte/__lt` compare with."""
        return (
            datetime.combine(self.start, time.min, tzinfo=PARIS),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=PARIS),
        )

    def year_before(self) -> "DateRange":
        return DateRange(_minus_year(self.start), _minus_year(self.end))


def _minus_year(day: date) -> date:
    # 29 February has no twin: the 28th stands in for it.
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def today() -> date:
    return timezone.localdate(timezone=PARIS)


def latest() -> date:
    """The last day a range may reach: a year from today."""
    return today() + AHEAD


def default_range(end: date | None = None) -> DateRange:
    """The last 12 months: the current (partial) month and the 11 before it, up to `end` (today)."""
    end = end or today()
    month = end.month - 11
    year = end.year + (month - 1) // 12
    return DateRange(date(year, (month - 1) % 12 + 1, 1), end)


def period_start(day: date, granularity: Granularity) -> date:
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def periods(date_range: DateRange, granularity: Granularity) -> Iterator[date]:
    """Every period touching the range, first day of each, so that empty periods appear as zeros."""
    current = period_start(date_range.start, granularity)
    while current <= date_range.end:
        yield current
        current = _next(current, granularity)


def _next(day: date, granularity: Granularity) -> date:
    if granularity == Granularity.WEEK:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_label(day: date, granularity: Granularity) -> str:
    """`2026-02` for a month, `2026-W05` for an ISO week."""
    if granularity == Granularity.WEEK:
        iso = day.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"{day:%Y-%m}"


def trunc(granularity: Granularity | str, field: str = "occurred_at") -> TruncMonth | TruncWeek | TruncYear:
    """The database expression for the period of `field`, cut at midnight Paris time."""
    kinds: dict[str, type[TruncMonth | TruncWeek | TruncYear]] = {"month": TruncMonth, "week": TruncWeek, "year": TruncYear}
    return kinds[str(granularity)](field, output_field=DateTimeField(), tzinfo=PARIS)


def local_date(value: datetime | date) -> date:
    """A truncated value as the database returns it (aware in Paris, or already a date)."""
    if isinstance(value, datetime):
        return timezone.localtime(value, PARIS).date() if timezone.is_aware(value) else value.date()
    return value
