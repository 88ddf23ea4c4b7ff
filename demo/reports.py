"""A year of residents' reports, planned in memory: what happened, when, who reported and who moderated.

Seasons follow what the gendarmerie sees in a village of the Côte d'Azur: burglaries on winter evenings,
suspicious vehicles and thefts with the summer's visitors, fires in July and August. Every date keeps the
order the service gives them: it happened, then it was reported (within 7 days), then moderated; a report
left more than the commune's escalation delay was escalated to the mayors; a follow-up comes after approval.
"""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from alerts.duplicates import RADIUS_M, WINDOW
from alerts.geo import distance_m
from alerts.models import Alert, AlertKind, AlertStatus, Confirmation, FollowUp, FollowUpKind
from communes.models import Commune, Neighbourhood, Role
from vigilants.categories import Category

from . import texts
from .people import Member
from .timeline import PARIS, Clock, at_hour, local_hour

C = Category
# Reports a month per category, January first.
MONTHLY: dict[str, list[float]] = {
    C.CAMBRIOLAGE: [4.5, 4, 3, 2, 1.5, 1.5, 2, 3, 1.5, 2.5, 4, 5],
    C.TENTATIVE_CAMBRIOLAGE: [2.5, 2, 1.5, 1, 1, 1, 1, 1.5, 1, 1.5, 2, 2.5],
    C.VEHICULE_SUSPECT: [2, 2, 2, 2.5, 3, 4.5, 6, 6, 3.5, 2.5, 2, 2],
    C.INDIVIDU_SUSPECT: [1.5, 1.5, 1.5, 2, 2, 2.5, 3, 3, 2, 1.5, 1.5, 1.5],
    C.DEMARCHAGE_SUSPECT: [1, 1, 1.5, 2, 1.5, 1, 0.5, 0.5, 1.5, 2, 2.5, 2],
    C.VOL: [1, 1, 1, 1.5, 2, 2.5, 3.5, 3.5, 2, 1, 1, 1.5],
    C.DEGRADATION: [1, 0.5, 0.5, 1, 1, 1.5, 1.5, 1.5, 1, 1, 0.5, 1],
    C.INCENDIE: [0.3, 0.2, 0.3, 0.3, 0.5, 1, 2.5, 2.5, 1, 0.3, 0.2, 0.3],
    C.AUTRE: [1, 1, 1, 1, 1, 1, 1.5, 1.5, 1, 1, 1, 1],
}
WINTER = {1, 2, 3, 10, 11, 12}
# When it happens (Paris hours, a range may wrap past midnight); burglaries: at dusk in winter, by day in summer.
HOURS: dict[str, tuple[float, float]] = {
    C.CAMBRIOLAGE: (9, 18), C.TENTATIVE_CAMBRIOLAGE: (9, 18), C.VEHICULE_SUSPECT: (8.5, 19.5),
    C.INDIVIDU_SUSPECT: (10, 22), C.DEMARCHAGE_SUSPECT: (9, 18.5), C.VOL: (8, 23), C.DEGRADATION: (22, 4),
    C.INCENDIE: (12, 20), C.AUTRE: (7, 22),
}  # fmt: skip
WINTER_EVENINGS = (17, 21)
# How long until someone reports it, in minutes: a burglary is found on coming home, damage in the morning.
REPORTED_AFTER: dict[str, tuple[float, float]] = {
    C.CAMBRIOLAGE: (20, 300), C.TENTATIVE_CAMBRIOLAGE: (10, 720), C.DEGRADATION: (240, 540), C.VOL: (10, 180),
}  # fmt: skip
SEEN_LIVE = (2, 25)
# Seen as it happens: neighbours confirm ("moi aussi"), and the alert is usually closed once it is over.
LIVE = {C.VEHICULE_SUSPECT, C.INDIVIDU_SUSPECT, C.DEMARCHAGE_SUSPECT, C.INCENDIE}
URGENT: dict[str, float] = {C.INCENDIE: 1.0, C.CAMBRIOLAGE: 0.15, C.INDIVIDU_SUSPECT: 0.1}  # "en cours"
REJECTED_SHARE = 0.07
NIGHT = (21, 8)  # moderators sleep: a report of the night waits for the morning, unless urgent
# Reports still waiting, whatever the hour the demo is built at: one just in, two past the escalation delay
# (the mayor's inbox has something to do).
WAITING = [(C.INDIVIDU_SUSPECT, timedelta(minutes=9)), (C.VEHICULE_SUSPECT, timedelta(hours=3, minutes=10)),
           (C.DEMARCHAGE_SUSPECT, timedelta(hours=26))]  # fmt: skip


@dataclass
class Story:
    """One report and what followed it, as unsaved rows (history.py writes them)."""

    alert: Alert
    moderator: Member | None = None
    waiting: bool = False  # left pending by the moderators, whatever its age
    confirmations: list[Confirmation] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)


class Reports:
    """Plans the year's reports of a commune, month by month, then what became of each."""

    def __init__(self, commune: Commune, clock: Clock, rng: random.Random, members: list[Member],
                 neighbourhoods: dict[str, Neighbourhood], escalation: timedelta) -> None:  # fmt: skip
        self.commune, self.clock, self.rng, self.members, self.escalation = commune, clock, rng, members, escalation
        self.moderators = [m for m in members if m.role in (Role.MAYOR, Role.REFERENT)]
        # texts.NEIGHBOURHOODS' order: a quartier is named by its index there.
        self.neighbourhood_ids = [neighbourhoods[name].pk for name, *_ in texts.NEIGHBOURHOODS]

    def plan(self) -> list[Story]:
        stories = [story for first, low, high in self.clock.months() for story in self._month(first.month, low, high)]
        stories += [self._waiting(category, age) for category, age in WAITING]
        stories = distinct_events(sorted(stories, key=lambda story: story.alert.created_at))
        for story in stories:
            self._moderate(story)
            self._follow(story)
        self._errata([s for s in stories if s.alert.category == C.VEHICULE_SUSPECT and s.followups])
        return stories

    def _month(self, month: int, low: datetime, high: datetime) -> list[Story]:
        share = (high - low) / timedelta(days=30.4)
        if high == self.clock.now:  # the month under way: never empty, even on its first days
            share = max(share, 0.25)
        stories = []
        for category, rates in MONTHLY.items():
            expected = rates[month - 1] * share * self.rng.uniform(0.75, 1.25)
            count = int(expected) + (self.rng.random() < expected % 1)
            for _ in range(count):
                occurred = at_hour(self.rng, low, high - timedelta(minutes=20), self._hours(category, month))
                if occurred is not None:
                    stories.append(self._report(category, occurred))
        return stories

    def _hours(self, category: str, month: int) -> tuple[float, float]:
        burglary = category in (C.CAMBRIOLAGE, C.TENTATIVE_CAMBRIOLAGE)
        return WINTER_EVENINGS if burglary and month in WINTER and self.rng.random() < 0.7 else HOURS[category]

    def _report(self, category: str, occurred: datetime) -> Story:
        low, high = REPORTED_AFTER.get(category, SEEN_LIVE)
        created = min(occurred + timedelta(minutes=self.rng.uniform(low, high)), self.clock.now - timedelta(minutes=2))
        occurred = min(occurred, created)
        reporter = self._reporter(created)
        neighbourhood = self._where(reporter)
        latitude, longitude = self._position(neighbourhood) if self.rng.random() < 0.9 else (None, None)
        streets = texts.NEIGHBOURHOODS[neighbourhood][4]
        alert = Alert(
            commune=self.commune, kind=AlertKind.REPORT, category=category,
            description=self.rng.choice(texts.REPORTS[category]), latitude=latitude, longitude=longitude,
            address=self.rng.choice(streets) if self.rng.random() < 0.4 else "", occurred_at=occurred,
            created_at=created, status=AlertStatus.PENDING, urgent=self._urgent(category), reporter=reporter.user,
            neighbourhood_id=self.neighbourhood_ids[neighbourhood],
        )  # fmt: skip
        return Story(alert=alert)

    def _waiting(self, category: str, age: timedelta) -> Story:
        created = self.clock.now - age
        story = self._report(category, created - timedelta(minutes=8))
        story.alert.created_at, story.waiting = created, True
        return story

    def _reporter(self, when: datetime) -> Member:
        present = [m for m in self.members if m.since < when]
        return self.rng.choice(present or self.members)

    def _where(self, reporter: Member) -> int:
        """Index of the quartier: mostly the reporter's own."""
        ids = self.neighbourhood_ids
        if reporter.neighbourhood_id in ids and self.rng.random() < 0.8:
            return ids.index(reporter.neighbourhood_id)
        return self.rng.randrange(len(ids))

    def _position(self, index: int) -> tuple[float, float]:
        """Around the quartier's centre, inside the commune's bounding box."""
        _name, latitude, longitude, radius, _streets = texts.NEIGHBOURHOODS[index]
        north = self.rng.gauss(0, radius / 2) / 111_320
        east = self.rng.gauss(0, radius / 2) / (111_320 * math.cos(math.radians(latitude)))
        return self._inside(latitude + north, longitude + east)

    def _inside(self, latitude: float, longitude: float) -> tuple[float, float]:
        c, margin = self.commune, 0.0005
        if None in (c.bbox_south, c.bbox_north, c.bbox_west, c.bbox_east):
            return round(latitude, 6), round(longitude, 6)
        assert c.bbox_south is not None and c.bbox_north is not None  # noqa: S101 - narrowed for mypy
        assert c.bbox_west is not None and c.bbox_east is not None  # noqa: S101
        latitude = min(max(latitude, c.bbox_south + margin), c.bbox_north - margin)
        longitude = min(max(longitude, c.bbox_west + margin), c.bbox_east - margin)
        return round(latitude, 6), round(longitude, 6)

    def _urgent(self, category: str) -> bool:
        return self.rng.random() < URGENT.get(category, 0.0)

    # --- moderation -------------------------------------------------------------------------------------

    def _moderate(self, story: Story) -> None:
        alert = story.alert
        decided = alert.created_at + self._delay(alert)
        if decided >= self.clock.now or story.waiting:
            alert.status, decided = AlertStatus.PENDING, self.clock.now
        else:
            story.moderator = self._moderator(alert)
            alert.moderated_by, alert.moderated_at = story.moderator.user, decided
            alert.status = AlertStatus.REJECTED if self.rng.random() < REJECTED_SHARE else AlertStatus.APPROVED
            if alert.status == AlertStatus.REJECTED:
                alert.rejection_reason = self.rng.choice(texts.REJECTION_REASONS)
        # Beat looks for overdue reports each minute (alerts/tasks.py): those still waiting then are escalated.
        escalated = alert.created_at + self.escalation + timedelta(seconds=self.rng.uniform(5, 65))
        if escalated < decided:
            alert.escalated_at = escalated

    def _delay(self, alert: Alert) -> timedelta:
        hour = local_hour(alert.created_at)
        asleep = hour >= NIGHT[0] or hour < NIGHT[1]
        if asleep and not alert.urgent:
            local = alert.created_at.astimezone(PARIS)
            morning = local.replace(hour=7, minute=30, second=0, microsecond=0)
            if hour >= NIGHT[0]:
                morning += timedelta(days=1)
            return morning + timedelta(minutes=self.rng.uniform(0, 120)) - alert.created_at
        minutes = min(max(self.rng.lognormvariate(math.log(12), 0.8), 2), 240)
        return timedelta(minutes=minutes * (0.4 if alert.urgent else 1))

    def _moderator(self, alert: Alert) -> Member:
        present = [m for m in self.moderators if m.since < alert.created_at] or self.moderators
        local = [m for m in present if m.role == Role.REFERENT and m.neighbourhood_id == alert.neighbourhood_id]
        return self.rng.choice(local if local and self.rng.random() < 0.6 else present)

    # --- after approval ---------------------------------------------------------------------------------

    def _follow(self, story: Story) -> None:
        alert = story.alert
        if alert.status != AlertStatus.APPROVED or alert.moderated_at is None:
            return
        live = alert.category in LIVE
        if self.rng.random() < (0.5 if live else 0.2):
            self._close(story, alert.moderated_at + timedelta(hours=self.rng.uniform(0.5, 36)))
        if self.rng.random() < (0.35 if live else 0.12):
            self._confirm(story)

    def _close(self, story: Story, at: datetime) -> None:
        if at >= self.clock.now - timedelta(minutes=5):
            return
        alert, author = story.alert, story.moderator
        body = self.rng.choice(texts.END_BODIES[alert.category])
        story.followups.append(FollowUp(alert=alert, kind=FollowUpKind.END, body=body,
                                        author=author.user if author else None, created_at=at))  # fmt: skip
        alert.closed_at = at

    def _confirm(self, story: Story) -> None:
        alert = story.alert
        until = min(alert.closed_at or self.clock.now, self.clock.now)
        others = [m for m in self.members if m.since < alert.created_at and m.user.pk != alert.reporter_id]
        neighbours = [m for m in others if m.neighbourhood_id == alert.neighbourhood_id] or others
        for member in self.rng.sample(neighbours, min(len(neighbours), self.rng.choice([1, 1, 1, 2, 2, 3]))):
            at = alert.created_at + timedelta(minutes=self.rng.uniform(3, 45))
            if at >= until:
                continue
            latitude, longitude = self._near(alert)
            story.confirmations.append(Confirmation(
                alert=alert, reporter=member.user, description=self.rng.choice(texts.CONFIRMATIONS),
                latitude=latitude, longitude=longitude, created_at=at,
            ))  # fmt: skip
        alert.confirmations_count = len(story.confirmations)

    def _near(self, alert: Alert) -> tuple[float | None, float | None]:
        if alert.latitude is None or alert.longitude is None:
            return None, None
        spread = 120 / 111_320  # within the duplicate radius (alerts/duplicates.py, 300 m)
        return self._inside(alert.latitude + self.rng.uniform(-spread, spread),
                            alert.longitude + self.rng.uniform(-spread, spread))  # fmt: skip

    def _errata(self, candidates: list[Story]) -> None:
        for story, body in zip(self.rng.sample(candidates, min(len(candidates), len(texts.ERRATA))), texts.ERRATA,
                               strict=False):  # fmt: skip
            alert, end = story.alert, story.followups[0]
            assert alert.moderated_at is not None  # noqa: S101 - approved: moderated
            at = alert.moderated_at + (end.created_at - alert.moderated_at) * self.rng.uniform(0.1, 0.5)
            author = end.author
            story.followups.insert(0, FollowUp(alert=alert, kind=FollowUpKind.ERRATUM, body=body, author=author,
                                               created_at=at))  # fmt: skip


def distinct_events(stories: list[Story]) -> list[Story]:
    """Leaves out a report the service would have taken for a second report of an earlier one (alerts/duplicates.py:
    the same category within 300 m and 30 minutes): it would have been a confirmation, not an alert."""
    kept: list[Story] = []
    for story in stories:
        if not any(same_event(story.alert, other.alert) for other in kept):
            kept.append(story)
    return kept


def same_event(new: Alert, earlier: Alert) -> bool:
    if new.category != earlier.category or abs(new.occurred_at - earlier.occurred_at) > WINDOW:
        return False
    if new.latitude is None or new.longitude is None:  # without a position, the quartier stands in for nearness
        return earlier.latitude is None and new.neighbourhood_id == earlier.neighbourhood_id
    if earlier.latitude is None or earlier.longitude is None:
        return False
    return distance_m(new.latitude, new.longitude, earlier.latitude, earlier.longitude) <= RADIUS_M
