"""A hand-counted year in Saint-Paul-de-Vence for the public yearly balance (this year, provisional).

People: 7 approved members (the town's 4 and 3 more; the applicant is pending), 5 followers (one stopped).
Reports received this year: 6 approved after 10, 20, 30, 40, 50, 60 minutes (median 35.0), 2 rejected,
1 pending: 9 received, rejected share 2/8 = 0.25.
A public warning (and its message W), a mayor's broadcast alert, an alert's message A:
- W: u1 push +1 min and SMS (2 parts) +2 min, u2 push +1 min, u3 push +3 min, u4 push failed and SMS +3 min
  (1 part), u5 SMS +10 min (1 part), u6 call answered +4 min lasting 75 s (2 minutes), u7 push cancelled:
  6 recipients, 5 reached within 5 minutes (all but u5), share 0.8333; 3 SMS (4 parts), 1 call (2 minutes).
- A: u1 SMS +1 min (1 part), u2 push: 4 SMS and 5 parts in all; cost 5 × 0.0725 = 0.3625 (0.36) + 2 × 0.15
  = 0.30, 0.6625 in all (0.66).
Enrolled 15 March 2024; official burglaries at commune level 2021: 10, 2022: 14, 2023: withheld, 2025: 8.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from alerts.models import Alert
from communes.models import Commune, Follow
from conftest import Town
from notifications.models import Delivery, Message, MessageKind, MessageSource, MessageStatus
from risks.models import RiskWarning
from stats.tests.scenario import official, utc
from tests.factories import MembershipFactory, UserFactory

YEAR = timezone.localdate().year


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(YEAR, month, day, hour, minute, tzinfo=UTC)


def report(commune: Commune, status: str, created: datetime, minutes: int | None = None) -> Alert:
    alert = Alert.objects.create(commune=commune, category="vol", description="Faits", status=status,
                                 occurred_at=created)  # fmt: skip
    moderated = created + timedelta(minutes=minutes) if minutes is not None else None
    Alert.objects.filter(pk=alert.pk).update(created_at=created, moderated_at=moderated)
    return alert


def reports(commune: Commune, delays: list[int], rejected: int = 0, pending: int = 0) -> None:
    for day, minutes in enumerate(delays, start=1):
        report(commune, "approved", at(2, day), minutes)
    for day in range(rejected):
        report(commune, "rejected", at(3, day + 1), 5)
    for day in range(pending):
        report(commune, "pending", at(4, day + 1))


def message(commune: Commune, kind: str, source: str, created: datetime) -> Message:
    msg = Message.objects.create(commune=commune, kind=kind, title="Avis", body="Texte", channels=["push", "sms"],
                                 source_type=source, source_id=1, status=MessageStatus.PLANNED)  # fmt: skip
    Message.objects.filter(pk=msg.pk).update(created_at=created)
    msg.refresh_from_db()
    return msg


def deliver(msg: Message, user: User, channel: str, status: str, after: int | None = None, **extra: object) -> None:
    sent_at = msg.created_at + timedelta(minutes=after) if after is not None else None
    Delivery.objects.create(message=msg, user=user, channel=channel, status=status, sent_at=sent_at, **extra)


def warning(commune: Commune) -> RiskWarning:
    return RiskWarning.objects.create(commune=commune, hazard="flood", level="orange", severity="Severe",
                                      urgency="Immediate", certainty="Likely", title="Crue", description="Le Loup",
                                      expires_at=timezone.now() + timedelta(days=1))  # fmt: skip


def build(town: Town) -> list[User]:
    commune = town.commune
    Commune.objects.filter(pk=commune.pk).update(population=3500, enrolled_at=utc(2024, 3, 15, 9))
    commune.refresh_from_db()
    for _ in range(3):
        MembershipFactory.create(commune=commune, user=UserFactory.create())
    people = [UserFactory.create() for _ in range(7)]
    for person in people[:5]:
        Follow.objects.create(user=person, commune=commune)
    Follow.objects.filter(user=people[4], commune=commune).update(stopped_at=timezone.now() - timedelta(days=1))
    Follow.objects.create(user=people[5], commune=commune)  # five active followers: people[0..3] and people[5]
    reports(commune, [10, 20, 30, 40, 50, 60], rejected=2, pending=1)
    warning(commune)
    Alert.objects.create(commune=commune, category="autre", description="Réunion", kind="broadcast",
                         status="approved", occurred_at=at(5, 1))  # fmt: skip
    sends(commune, people)
    for year, count in [(2021, 10), (2022, 14), (2023, None), (2025, 8)]:
        official("commune", commune.insee, year, count, dwellings=1500)
    return people


def sends(commune: Commune, people: list[User]) -> None:
    u1, u2, u3, u4, u5, u6, u7 = people
    w = message(commune, MessageKind.BROADCAST, MessageSource.WARNING, at(6, 1))
    deliver(w, u1, "push", "sent", 1)
    deliver(w, u1, "sms", "delivered", 2, segments=2)
    deliver(w, u2, "push", "sent", 1)
    deliver(w, u3, "push", "sent", 3)
    deliver(w, u4, "push", "failed")
    deliver(w, u4, "sms", "sent", 3, segments=1)
    deliver(w, u5, "sms", "sent", 10, segments=1)
    deliver(w, u6, "voice", "delivered", 4, provider_id="CA0001", call_seconds=75)
    deliver(w, u7, "push", "cancelled")
    a = message(commune, MessageKind.ALERT, MessageSource.ALERT, at(7, 1))
    deliver(a, u1, "sms", "sent", 1, segments=1)
    deliver(a, u2, "push", "sent", 1)
