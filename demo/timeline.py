"""The demo's year: when it starts and ends, its months, and times of day in Paris."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

PARIS = ZoneInfo("Europe/Paris")
# Under REPORTER_RETENTION_DAYS (365): the oldest reports still name their reporter, as they would in service.
HISTORY_DAYS = 360
# The commune joined a little before its first report.
ENROLLED_BEFORE = timedelta(days=12)


@dataclass(frozen=True)
class Clock:
    now: datetime
    start: datetime  # the first report may happen from here
    enrolled_at: datetime
    deliveries_from: datetime  # older deliveries would have been purged (NOTIFICATIONS_RETENTION_DAYS)

    @classmethod
    def ending(cls, now: datetime) -> "Clock":
        start = now - timedelta(days=HISTORY_DAYS)
        retention = timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS)
        return cls(now=now, start=start, enrolled_at=start - ENROLLED_BEFORE, deliveries_from=now - retention)

    def months(self) -> Iterator[tuple[date, datetime, datetime]]:
        """(first day, window start, window end) of each calendar month the history touches, oldest first."""
        first = self.start.astimezone(PARIS).date().replace(day=1)
        while True:
            low = max(paris(first), self.start)
            high = min(paris(next_month(first)), self.now)
            if low >= self.now:
                return
            yield first, low, high
            first = next_month(first)


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def paris(day: date, at: time = time(0)) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


def local_hour(moment: datetime) -> float:
    local = moment.astimezone(PARIS)
    return local.hour + local.minute / 60


def at_hour(rng: random.Random, low: datetime, high: datetime, hours: tuple[float, float]) -> datetime | None:
    """A random moment in [low, high) whose Paris time of day falls in `hours` (wrapping past midnight)."""
    days = (high.astimezone(PARIS).date() - low.astimezone(PARIS).date()).days + 1
    for _ in range(8):  # a short window may miss the hours a few times: then anywhere in it
        day = low.astimezone(PARIS).date() + timedelta(days=rng.randrange(days))
        start, end = hours
        offset = rng.uniform(start, end if end > start else end + 24)
        moment = paris(day) + timedelta(hours=offset)
        if low <= moment < high:
            return moment
    span = (high - low).total_seconds()
    return low + timedelta(seconds=rng.uniform(0, span)) if span > 0 else None
