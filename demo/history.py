"""Writes the demo's year: the reports and what followed them, the mayor's messages, and their audit trail."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from accounts.models import User
from alerts.models import Alert, AlertKind, AlertStatus, CommunePolicy, Confirmation, FollowUp
from audit.models import AuditEntry
from communes.models import Commune, Neighbourhood
from vigilants.categories import Category

from . import texts
from .bulk import insert
from .journal import audit_entry
from .people import Member
from .reports import Reports, Story
from .timeline import Clock, at_hour


@dataclass
class Broadcast:
    alert: Alert
    neighbourhoods: list[Neighbourhood]


@dataclass
class History:
    stories: list[Story]
    broadcasts: list[Broadcast]


def write_history(commune: Commune, clock: Clock, rng: random.Random, members: list[Member],
                  neighbourhoods: dict[str, Neighbourhood], mayor: Member) -> History:  # fmt: skip
    escalation = timedelta(minutes=CommunePolicy.for_commune(commune).escalation_minutes)
    stories = Reports(commune, clock, rng, members, neighbourhoods, escalation).plan()
    insert(Alert, [story.alert for story in stories])
    insert(Confirmation, [c for story in stories for c in story.confirmations])
    insert(FollowUp, [f for story in stories for f in story.followups])
    broadcasts = plan_broadcasts(commune, clock, rng, neighbourhoods, mayor.user)
    insert(Alert, [b.alert for b in broadcasts])
    through = Alert.target_neighbourhoods.through
    through.objects.bulk_create([through(alert_id=b.alert.pk, neighbourhood_id=n.pk)
                                 for b in broadcasts for n in b.neighbourhoods])  # fmt: skip
    entries = [entry for story in stories for entry in _report_entries(story)]
    insert(AuditEntry, entries + [_broadcast_entry(b) for b in broadcasts])
    return History(stories=stories, broadcasts=broadcasts)


def plan_broadcasts(commune: Commune, clock: Clock, rng: random.Random, neighbourhoods: dict[str, Neighbourhood],
                    mayor: User) -> list[Broadcast]:  # fmt: skip
    """The mayor's messages of the year, each in its month (the latest one when the history has it twice)."""
    windows = {first.month: (low, high) for first, low, high in clock.months() if high - low > timedelta(days=1)}
    broadcasts = []
    for month, title, body, urgent, channels, quartier in texts.BROADCASTS:
        if month not in windows:
            continue
        low, high = windows[month]
        sent = at_hour(rng, low, high - timedelta(hours=1), (9.5, 18))
        if sent is None:
            continue
        alert = Alert(
            commune=commune, kind=AlertKind.BROADCAST, category=Category.AUTRE, title=title, description=body,
            urgent=urgent, occurred_at=sent, created_at=sent, status=AlertStatus.APPROVED, reporter=mayor,
            moderated_by=mayor, moderated_at=sent, channels=channels,
        )  # fmt: skip
        broadcasts.append(Broadcast(alert, [neighbourhoods[quartier]] if quartier else []))
    return broadcasts


def _snapshot(alert: Alert, status: str) -> dict[str, Any]:
    """alerts/services.py's audit snapshot."""
    return {"status": status, "category": alert.category, "urgent": alert.urgent, "description": alert.description}


def _report_entries(story: Story) -> list[AuditEntry]:
    alert, moderator = story.alert, story.moderator
    entries = []
    if alert.escalated_at is not None:
        entries.append(audit_entry(None, "alert.escalated", alert, alert.escalated_at))
    if moderator is not None and alert.moderated_at is not None:
        entries.append(_moderation_entry(alert, moderator.user, alert.moderated_at))
    for followup in story.followups:
        entries.append(audit_entry(followup.author, f"alert.followup.{followup.kind}", alert, followup.created_at,
                                   after={"body": followup.body}))  # fmt: skip
    return entries


def _moderation_entry(alert: Alert, moderator: User, at: datetime) -> AuditEntry:
    before = _snapshot(alert, AlertStatus.PENDING)
    if alert.status == AlertStatus.REJECTED:
        after = {**_snapshot(alert, alert.status), "reason": alert.rejection_reason}
        return audit_entry(moderator, "alert.rejected", alert, at, before=before, after=after)
    return audit_entry(moderator, "alert.approved", alert, at, before=before, after=_snapshot(alert, alert.status))


def _broadcast_entry(broadcast: Broadcast) -> AuditEntry:
    alert = broadcast.alert
    after = {"title": alert.title, "urgent": alert.urgent, "neighbourhoods": [n.pk for n in broadcast.neighbourhoods],
             "channels": alert.channels}  # fmt: skip
    return audit_entry(alert.reporter, "broadcast.sent", alert, alert.created_at, after=after)
