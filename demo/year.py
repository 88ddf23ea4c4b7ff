"""A year of plausible history for the demo's commune, written once, in one transaction."""

import random
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from alerts.models import AlertStatus
from communes.models import Commune, Neighbourhood
from stats import cache

from .history import write_history
from .outbox import write_outbox
from .people import PENDING_REQUESTS, backdate_logins, create_devices, create_members
from .timeline import Clock

# Fixed, so that every `make run` builds the same year (2002: Saint-Paul-de-Vence starts the first French scheme).
SEED = 2002


@dataclass(frozen=True)
class Summary:
    reports: int
    approved: int
    rejected: int
    pending: int
    broadcasts: int
    members: int
    pending_requests: int
    deliveries: int


@transaction.atomic
def seed_year(commune: Commune, neighbourhoods: dict[str, Neighbourhood], now: datetime) -> Summary:
    rng = random.Random(SEED)
    clock = Clock.ending(now)
    _enrolled_before(commune, clock)
    logins = backdate_logins(commune, clock)
    mayor, referent = logins[0], logins[1]  # by phone number: MAYOR, then REFERENT
    members = logins + create_members(commune, clock, rng, neighbourhoods, deciders=[mayor, referent])
    history = write_history(commune, clock, rng, members, neighbourhoods, mayor)
    devices = create_devices(members, rng)
    deliveries = write_outbox(commune, clock, rng, history, members, devices)
    # Bulk writes send no signal: the commune's cached statistics (stats/cache.py) are forgotten here.
    cache.forget(commune.pk)
    statuses = [story.alert.status for story in history.stories]
    return Summary(
        reports=len(statuses), approved=statuses.count(AlertStatus.APPROVED), rejected=statuses.count(AlertStatus.REJECTED),
        pending=statuses.count(AlertStatus.PENDING), broadcasts=len(history.broadcasts), members=len(members),
        pending_requests=PENDING_REQUESTS, deliveries=deliveries,
    )  # fmt: skip


def _enrolled_before(commune: Commune, clock: Clock) -> None:
    """The commune joined before its first report (statistics compare the years before and after enrolment)."""
    if commune.enrolled_at is None or commune.enrolled_at > clock.enrolled_at:
        commune.enrolled_at = clock.enrolled_at
        commune.save(update_fields=["enrolled_at"])


def has_history(commune: Commune) -> bool:
    """Whether the year was written already (or the commune has reports of its own): then nothing is added."""
    return commune.alerts.exists()
