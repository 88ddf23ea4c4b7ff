"""A hand-counted territory: Saint-Paul-de-Vence and Cagnes-sur-Mer in the Métropole Nice Côte d'Azur (06), Vence
in the 06 outside it, Charleville-Mézières (08) outside both.

People (each town: mayor, referent, two residents approved, one applicant pending; Vence one member):
- Florence follows Saint-Paul and Cagnes; Saint-Paul's resident (a member) follows Saint-Paul too; someone
  stopped following Saint-Paul; someone follows Charleville.
  Métropole: members 4 + 4, followers 2 + 1, people 8 + Florence = 9.

Reports created in 2025 (moderation; approval delays):
- Saint-Paul: cambriolage approved after 10 min (occurred March), vol approved after 30 min, cambriolage
  rejected, vol pending, and a broadcast (not a report); a cambriolage approved in 2024 (out of range).
- Cagnes: tentative_cambriolage approved after 60 min (occurred June), vol rejected.
- Charleville: cambriolage approved after 5 min.
  Métropole: received 6, approved 3, rejected 2, pending 1, rejected share 0.4, median 30 min.
Official burglaries 2025: Saint-Paul 8, Cagnes withheld, Charleville 5, département 06: 30,000.

Public warnings of the last 120 days (recent()):
- Saint-Paul: one 100 days ago (its deliveries purged), one today and its update (one message each).
  Today: mayor push sent + SMS delivered, referent push failed, resident push sent, Florence push unknown,
  resident2 cancelled -> 4 recipients, 2 reached. The update: mayor push sent -> 1 recipient, 1 reached.
- Cagnes: one, Florence push sent, its mayor SMS failed -> 2 recipients, 1 reached.
- Charleville: one, its mayor push sent.
  Métropole: issued 3, messages 4, kept 3, recipients 7, reached 4 (share 0.5714), people reached 3.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from accounts.models import User
from alerts.models import Alert
from communes.models import Commune, Follow, TerritoryKind
from communes.territories import Territory, find_territory
from conftest import NICE_METROPOLE, Town, make_town
from notifications.models import Delivery, Message, MessageSource
from risks.models import RiskWarning
from risks.services import warning_issue, warning_update
from stats.periods import DateRange, today
from stats.tests.scenario import official, utc
from tests.factories import CommuneFactory, MembershipFactory, UserFactory

YEAR_2025 = DateRange(date(2025, 1, 1), date(2025, 12, 31))


def recent() -> DateRange:
    return DateRange(today() - timedelta(days=120), today())


@dataclass
class Scene:
    saint_paul: Town
    cagnes: Town
    vence: Commune
    charleville: Town

    @property
    def metropole(self) -> Territory:
        found = find_territory(TerritoryKind.EPCI, NICE_METROPOLE)
        assert found is not None
        return found


def build(saint_paul: Town, charleville: Town) -> Scene:
    cagnes = make_town("06027", "Cagnes-sur-Mer", "06", latitude=43.66, longitude=7.15)
    vence = CommuneFactory.create(insee="06157", name="Vence", departement="06")
    MembershipFactory.create(commune=vence)
    Commune.objects.filter(pk__in=[saint_paul.commune.pk, cagnes.commune.pk]).update(
        epci_siren=NICE_METROPOLE, epci_name="Métropole Nice Côte d'Azur"
    )
    for town in (saint_paul, cagnes):
        town.commune.refresh_from_db()
    scene = Scene(saint_paul, cagnes, vence, charleville)
    _follows(scene)
    _reports(scene)
    _official()
    _warnings(scene)
    return scene


def _follows(scene: Scene) -> None:
    florence = UserFactory.create(display_name="Florence")
    Follow.objects.create(user=florence, commune=scene.saint_paul.commune)
    Follow.objects.create(user=florence, commune=scene.cagnes.commune)
    Follow.objects.create(user=scene.saint_paul.resident, commune=scene.saint_paul.commune)
    Follow.objects.create(user=UserFactory.create(), commune=scene.saint_paul.commune, stopped_at=timezone.now())
    Follow.objects.create(user=UserFactory.create(), commune=scene.charleville.commune)


def report(town: Town, category: str, status: str, created: tuple[int, int, int], minutes: int | None = None,
           kind: str = "report") -> Alert:  # fmt: skip
    """A report created on that day (noon UTC), occurred the hour before, moderated `minutes` after."""
    created_at = utc(*created, 12)
    alert = Alert.objects.create(commune=town.commune, category=category, description="Faits constatés", status=status,
                                 kind=kind, occurred_at=created_at - timedelta(hours=1))  # fmt: skip
    moderated = created_at + timedelta(minutes=minutes) if minutes is not None else None
    Alert.objects.filter(pk=alert.pk).update(created_at=created_at, moderated_at=moderated)
    return alert


def _reports(scene: Scene) -> None:
    report(scene.saint_paul, "cambriolage", "approved", (2025, 3, 10), 10)
    report(scene.saint_paul, "vol", "approved", (2025, 4, 10), 30)
    report(scene.saint_paul, "cambriolage", "rejected", (2025, 5, 10), 15)
    report(scene.saint_paul, "vol", "pending", (2025, 12, 20))
    report(scene.saint_paul, "autre", "approved", (2025, 7, 1), 0, kind="broadcast")
    report(scene.saint_paul, "cambriolage", "approved", (2024, 5, 10), 5)
    report(scene.cagnes, "tentative_cambriolage", "approved", (2025, 6, 10), 60)
    report(scene.cagnes, "vol", "rejected", (2025, 6, 11), 20)
    report(scene.charleville, "cambriolage", "approved", (2025, 6, 12), 5)


def _official() -> None:
    official("commune", "06128", 2025, 8, dwellings=1500)
    official("commune", "06027", 2025, None)
    official("commune", "08105", 2025, 5)
    official("departement", "06", 2025, 30000)


def warn(town: Town) -> RiskWarning:
    return warning_issue(commune=town.commune, actor=town.mayor, hazard="flood", level="orange", title="Crue",
                         description="Le Loup déborde.", expires_at=timezone.now() + timedelta(hours=6))  # fmt: skip


def message_of(warning: RiskWarning) -> Message:
    return Message.objects.get(source_type=MessageSource.WARNING, source_id=warning.pk)


def deliver(warning: RiskWarning, *rows: tuple[User, str, str]) -> None:
    message = message_of(warning)
    Message.objects.filter(pk=message.pk).update(status="planned")
    for user, channel, status in rows:
        Delivery.objects.create(message=message, user=user, channel=channel, status=status)


def _warnings(scene: Scene) -> None:
    sp, cagnes = scene.saint_paul, scene.cagnes
    florence = Follow.objects.filter(commune=cagnes.commune).get().user
    old = warn(sp)
    long_ago = timezone.now() - timedelta(days=100)
    RiskWarning.objects.filter(pk=old.pk).update(sent_at=long_ago)
    Message.objects.filter(pk=message_of(old).pk).update(created_at=long_ago, status="planned")
    current = warn(sp)
    deliver(current, (sp.mayor, "push", "sent"), (sp.mayor, "sms", "delivered"), (sp.referent, "push", "failed"),
            (sp.resident, "push", "sent"), (florence, "push", "unknown"), (sp.resident2, "push", "cancelled"))  # fmt: skip
    deliver(warning_update(previous=current, actor=sp.mayor, level="red"), (sp.mayor, "push", "sent"))
    deliver(warn(cagnes), (florence, "push", "sent"), (cagnes.mayor, "sms", "failed"))
    deliver(warn(scene.charleville), (scene.charleville.mayor, "push", "sent"))
