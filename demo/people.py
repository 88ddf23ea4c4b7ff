"""The demo's people: the logins it prints, and about sixty members who joined over the year."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password

from accounts import staff_auth
from accounts.models import User
from audit.models import AuditEntry
from communes.models import (
    Commune,
    GendarmeArea,
    Membership,
    MembershipStatus,
    Neighbourhood,
    Role,
    TerritoryKind,
    TerritoryOperator,
)
from notifications.models import Device, Platform

from . import texts
from .bulk import insert
from .journal import audit_entry
from .timeline import Clock


@dataclass(frozen=True)
class Login:
    phone: str
    name: str
    role: str  # a membership Role, or "gendarme" / "staff"
    neighbourhood: str = ""
    address: str = ""


MAYOR = Login("+33600000001", "Maire de démonstration", Role.MAYOR, "Village", "Place de la Mairie")
REFERENT = Login("+33600000002", "Référente Colline", Role.REFERENT, "Les Collines", "Chemin de la Colline")
RESIDENT = Login("+33600000003", "Habitant Village", Role.RESIDENT, "Village", "Rue Grande")
RESIDENT_2 = Login("+33600000004", "Habitante Fontaine", Role.RESIDENT, "Village", "Place de la Grande Fontaine")
GENDARME = Login("+33600000005", "Gendarmerie, brigade de Vence", "gendarme")
STAFF = Login("+33600000099", "Équipe Vigilants", "staff")
# The operator of the demo commune's intercommunality (its SIREN read from the communes' data).
OPERATOR = Login("+33600000006", "Intercommunalité de démonstration", "operator")
STAFF_PASSWORD = "demo-staff-password"  # noqa: S105 - the embedded demo's, printed on its console
MEMBERS = (MAYOR, REFERENT, RESIDENT, RESIDENT_2)
GENDARME_DEPARTEMENT = "06"

GENERATED_MEMBERS = 56  # with the four logins: sixty members
PENDING_REQUESTS = 5


@dataclass
class Member:
    """A member as the history needs them: who, where, since when, and how they are reached."""

    user: User
    membership: Membership
    since: datetime  # approved: from then on they report, confirm and receive alerts
    has_app: bool = True
    uninstalls_at: datetime | None = None  # their push token dies that day (FCM answers UNREGISTERED)
    preferences: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def neighbourhood_id(self) -> int | None:
        return self.membership.neighbourhood_id


def ensure_neighbourhoods(commune: Commune) -> dict[str, Neighbourhood]:
    """The four quartiers, placed (centre and radius) if they were not."""
    found = {}
    for name, latitude, longitude, radius, _streets in texts.NEIGHBOURHOODS:
        place = {"latitude": latitude, "longitude": longitude, "radius_m": radius}
        neighbourhood, _ = Neighbourhood.objects.get_or_create(commune=commune, name=name, defaults=place)
        if neighbourhood.latitude is None:
            Neighbourhood.objects.filter(pk=neighbourhood.pk).update(**place)
        found[name] = neighbourhood
    return found


def ensure_logins(commune: Commune, neighbourhoods: dict[str, Neighbourhood]) -> dict[str, User]:
    """The printed logins (idempotent): four members, a gendarme of the département, the operator of the
    commune's intercommunality, a staff account."""
    users = {}
    for login in MEMBERS:
        user, _ = User.objects.get_or_create(phone=login.phone, defaults={"display_name": login.name})
        Membership.objects.get_or_create(
            user=user, commune=commune,
            defaults={"role": login.role, "status": MembershipStatus.APPROVED, "address": login.address,
                      "neighbourhood": neighbourhoods[login.neighbourhood]},
        )  # fmt: skip
        users[login.phone] = user
    gendarme, _ = User.objects.get_or_create(phone=GENDARME.phone, defaults={"display_name": GENDARME.name})
    GendarmeArea.objects.get_or_create(user=gendarme, defaults={"departement": GENDARME_DEPARTEMENT})
    users[GENDARME.phone] = gendarme
    if commune.epci_siren:
        operator, _ = User.objects.get_or_create(phone=OPERATOR.phone, defaults={"display_name": OPERATOR.name})
        TerritoryOperator.objects.get_or_create(user=operator, kind=TerritoryKind.EPCI, code=commune.epci_siren)
        users[OPERATOR.phone] = operator
    staff = User.objects.filter(phone=STAFF.phone).first()
    if staff is None:
        staff = User.objects.create_superuser(STAFF.phone, STAFF_PASSWORD, display_name=STAFF.name)
    staff_auth.enrol(staff)  # the staff's password asks for a TOTP code next
    users[STAFF.phone] = staff
    return users


def backdate_logins(commune: Commune, clock: Clock) -> list[Member]:
    """The logins' memberships date from the enrolment, so that they can have reported all year."""
    phones = [login.phone for login in MEMBERS]
    memberships = Membership.objects.filter(commune=commune, user__phone__in=phones).select_related("user")
    memberships.update(created_at=clock.enrolled_at, decided_at=clock.enrolled_at, status=MembershipStatus.APPROVED)
    User.objects.filter(phone__in=phones).update(date_joined=clock.enrolled_at)
    return [Member(user=m.user, membership=m, since=clock.enrolled_at, preferences=m.user.preferences)
            for m in memberships.order_by("user__phone")]  # fmt: skip


class Crowd:
    """Generated members: names, numbers, addresses, how they are reached, when they joined."""

    def __init__(self, rng: random.Random, clock: Clock, neighbourhoods: dict[str, Neighbourhood]) -> None:
        self.rng, self.clock, self.neighbourhoods = rng, clock, neighbourhoods
        names = [f"{first} {initial}." for first in texts.FIRST_NAMES for initial in texts.LAST_INITIALS]
        self.names = iter(rng.sample(names, GENERATED_MEMBERS + PENDING_REQUESTS + 1))

    def user(self, phone: str, joined: datetime) -> User:
        return User(phone=phone, display_name=next(self.names), password=make_password(None), date_joined=joined,
                    preferences=self.preferences())  # fmt: skip

    def preferences(self) -> dict[str, Any]:
        draw = self.rng.random()
        channels = ["sms"] if draw < 0.07 else ["push", "sms"] if draw < 0.17 else ["push"]
        quiet = {"start": "22:00", "end": "07:00"} if self.rng.random() < 0.12 else None
        categories = None
        if self.rng.random() < 0.06:  # only what threatens the house
            categories = ["cambriolage", "tentative_cambriolage", "vehicule_suspect", "incendie"]
        return {"channels": channels, "categories": categories, "quiet_hours": quiet}

    def membership(self, user: User, commune: Commune, role: str, status: str, created: datetime) -> Membership:
        name, _lat, _lon, _radius, streets = self.rng.choices(texts.NEIGHBOURHOODS, weights=[25, 30, 25, 20])[0]
        address = f"{self.rng.randint(1, 140)} {self.rng.choice(streets)}"
        return Membership(user=user, commune=commune, role=role, status=status, address=address,
                          neighbourhood=self.neighbourhoods[name], created_at=created)  # fmt: skip

    def joined(self, index: int) -> datetime:
        """Most joined in the first weeks (the launch meeting), then a few a month."""
        # The first ones (the deputy mayor and the referents) were named at the launch.
        days = self.rng.uniform(0.5, 6) if index < 4 else min(self.rng.expovariate(1 / 45), 300)
        return self.clock.enrolled_at + timedelta(days=days)


def create_members(commune: Commune, clock: Clock, rng: random.Random, neighbourhoods: dict[str, Neighbourhood],
                   deciders: list[Member]) -> list[Member]:  # fmt: skip
    """About sixty approved members (three more referents, a deputy mayor), pending requests, one refused."""
    crowd = Crowd(rng, clock, neighbourhoods)
    plans = []
    for index in range(GENERATED_MEMBERS):
        role = Role.MAYOR if index == 0 else Role.REFERENT if index < 4 else Role.RESIDENT
        plans.append((f"+3360000{1000 + index}", role, MembershipStatus.APPROVED, crowd.joined(index)))
    for index in range(PENDING_REQUESTS):
        asked = clock.now - timedelta(days=rng.uniform(0.2, 12))
        plans.append((f"+3360000{1100 + index}", Role.RESIDENT, MembershipStatus.PENDING, asked))
    plans.append(("+33600001120", Role.RESIDENT, MembershipStatus.REJECTED, clock.now - timedelta(days=40)))
    users = insert(User, [crowd.user(phone, joined - timedelta(minutes=5)) for phone, _, _, joined in plans])
    memberships = [crowd.membership(user, commune, role, status, joined)
                   for user, (_, role, status, joined) in zip(users, plans, strict=True)]  # fmt: skip
    decisions = [_decide(m, rng, clock, deciders) for m in memberships]
    insert(Membership, memberships)
    insert(AuditEntry, [entry for m, decider in zip(memberships, decisions, strict=True)
                        for entry in _decision_entries(m, decider)])  # fmt: skip
    members = [Member(user=m.user, membership=m, since=m.decided_at, preferences=m.user.preferences)
               for m in memberships if m.status == MembershipStatus.APPROVED and m.decided_at]  # fmt: skip
    _reachability(members, rng, clock)
    return members


def _decide(membership: Membership, rng: random.Random, clock: Clock, deciders: list[Member]) -> Member | None:
    """Who accepted (or refused) the request, and when: a few hours to three days later."""
    if membership.status == MembershipStatus.PENDING:
        return None
    decided = min(membership.created_at + timedelta(hours=rng.uniform(2, 72)), clock.now - timedelta(hours=1))
    # Referents decide on residents only (communes/services.py); the mayor on everyone.
    able = [d for d in deciders if d.role == Role.MAYOR or membership.role == Role.RESIDENT]
    decider = rng.choice(able)
    membership.decided_at, membership.decided_by = decided, decider.user
    if membership.status == MembershipStatus.REJECTED:
        membership.rejection_reason = "Adresse hors de la commune."
    return decider


def _decision_entries(membership: Membership, decider: Member | None) -> list[AuditEntry]:
    if decider is None or membership.decided_at is None:
        return []
    pending = {"role": Role.RESIDENT, "status": MembershipStatus.PENDING, "user": membership.user_id}
    decided = {"role": Role.RESIDENT, "status": membership.status, "user": membership.user_id}
    action = "membership.approved" if membership.status == MembershipStatus.APPROVED else "membership.rejected"
    if membership.status == MembershipStatus.REJECTED:
        decided["reason"] = membership.rejection_reason
    entries = [audit_entry(decider.user, action, membership, membership.decided_at, before=pending, after=decided)]
    if membership.role != Role.RESIDENT:  # approved as a resident, then named (communes/services.py)
        named = {**decided, "role": membership.role}
        later = membership.decided_at + timedelta(minutes=2)
        entries.append(audit_entry(decider.user, "membership.role_changed", membership, later, before=decided, after=named))
    return entries


def _reachability(members: list[Member], rng: random.Random, clock: Clock) -> None:
    """Who has the app: not those who chose SMS only, nor a few who never installed it; two remove it."""
    for member in members:
        only_sms = member.preferences.get("channels") == ["sms"]
        member.has_app = not only_sms and rng.random() > 0.05
    with_app = [m for m in members if m.has_app]
    for member in rng.sample(with_app, 2):
        member.uninstalls_at = member.since + (clock.now - member.since) * rng.uniform(0.5, 0.9)


def create_devices(members: list[Member], rng: random.Random) -> dict[int, Device]:
    """One phone each for those with the app, registered when they joined; keyed by user id."""
    devices = [
        Device(user=m.user, platform=Platform.ANDROID if rng.random() < 0.65 else Platform.IOS,
               fcm_token=f"demo-{rng.getrandbits(64):016x}:APA91b{rng.getrandbits(160):040x}",
               created_at=m.since, updated_at=m.since)
        for m in members if m.has_app
    ]  # fmt: skip
    return {device.user_id: device for device in insert(Device, devices)}
