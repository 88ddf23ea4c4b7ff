"""Who may do what where: the one place that answers, used by every view, queryset and dashboard.

Roles are held per commune in an approved membership. Gendarmes read statistics for their area.
Staff administer everything. Querysets are scoped with these, so another commune's objects are 404.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from accounts.token_lookup import USER_ALIAS, Also
from vigilants.prepared import PreparedExists

from .models import (
    MODERATOR_ROLES,
    Commune,
    CommuneQuerySet,
    CommuneType,
    GendarmeArea,
    Membership,
    MembershipStatus,
    ModerationDelegation,
    Role,
    TerritoryKind,
    TerritoryOperator,
)
from .territories import Territory, find_territory


def approved_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, status=MembershipStatus.APPROVED)


# approved_memberships(user).filter(commune=…, role__in=MODERATOR_ROLES).exists(), composed once: every
# statistics request asks it (vigilants/prepared.py).
_moderates = PreparedExists(
    Membership,
    lambda user_id, commune_id: Membership.objects.filter(
        user_id=user_id, status=MembershipStatus.APPROVED, commune_id=commune_id, role__in=MODERATOR_ROLES
    ),
    int, int,
)  # fmt: skip


# A gendarme's area holds the commune: by its département or listed.
_in_area = PreparedExists(
    GendarmeArea,
    lambda user_id, departement, commune_id: GendarmeArea.objects.filter(
        Q(departement=departement) | Q(communes=commune_id), user_id=user_id
    ),
    int, str, int,
)  # fmt: skip

# The user operates the département or the intercommunality (EPCI) of a commune.
_operates = PreparedExists(
    TerritoryOperator,
    lambda user_id, departement, epci: TerritoryOperator.objects.filter(
        Q(kind=TerritoryKind.DEPARTEMENT, code=departement) | Q(kind=TerritoryKind.EPCI, code=epci), user_id=user_id
    ),
    int, str, str,
)  # fmt: skip


def role_in(user: User, commune: Commune | int) -> str | None:
    """The user's role in that commune (approved membership only), or None."""
    if not user.is_authenticated:
        return None
    commune_id = commune if isinstance(commune, int) else commune.pk
    return approved_memberships(user).filter(commune_id=commune_id).values_list("role", flat=True).first()


def is_member(user: User, commune: Commune | int) -> bool:
    return role_in(user, commune) is not None


def is_moderator(user: User, commune: Commune | int) -> bool:
    return role_in(user, commune) in MODERATOR_ROLES


def is_mayor(user: User, commune: Commune | int) -> bool:
    return role_in(user, commune) == Role.MAYOR


def member_commune_ids(user: User) -> QuerySet:
    return approved_memberships(user).values("commune_id")


def moderated_commune_ids(user: User) -> QuerySet:
    return approved_memberships(user).filter(role__in=MODERATOR_ROLES).values("commune_id")


def gendarme_area_q(user: User, prefix: str = "") -> Q | None:
    """A filter on communes (`prefix` = path to the commune, e.g. "commune__") for a gendarme's area."""
    area = GendarmeArea.objects.filter(user=user).first() if user.is_authenticated else None
    if area is None:
        return None
    q = Q(**{f"{prefix}pk__in": area.communes.values("pk")})
    if area.departement:
        q |= Q(**{f"{prefix}departement": area.departement})
    return q


def in_gendarme_area(user: User, prefix: str = "") -> Q:
    """Communes (`prefix` = path to the commune) of the user's gendarmerie area, none if they have none: as
    subqueries of the query it filters, so that asking costs no query of its own on every alert request."""
    areas = GendarmeArea.objects.filter(user=user)
    listed = Q(**{f"{prefix}pk__in": areas.exclude(communes=None).values("communes")})
    return listed | Q(**{f"{prefix}departement__in": areas.exclude(departement="").values("departement")})


def is_gendarme(user: User) -> bool:
    return user.is_authenticated and GendarmeArea.objects.filter(user=user).exists()


def reads_statistics(user: User, commune: Commune, moderated: int | None = None) -> bool:
    """May read this commune's statistics: a moderator of it, a gendarme of its area, an operator of its
    territory (stats_communes' rule for one commune: every statistics request asks it). `moderated`: the
    commune moderated_by_insee found with the token, when it was asked."""
    # Prepared queries asked in turn, the next only when needed (a commune's moderators ask none with a token).
    if moderated == commune.pk or _moderates(user.pk, commune.pk) or _in_area(user.pk, commune.departement, commune.pk):
        return True
    return operates(user, commune)


def moderated_by_insee(insee: str) -> Also:
    """Read with the token (accounts.token_lookup): a commune of that code its reader moderates, if any
    (`_moderates` by INSEE code, in the token's statement: the statistics' first rule without a round trip)."""
    roles = sorted(str(role) for role in MODERATOR_ROLES)
    slots = ", ".join(["%s"] * len(roles))
    sql = (f"(SELECT m.commune_id FROM {Membership._meta.db_table} m JOIN {Commune._meta.db_table} c ON c.id = m.commune_id"  # noqa: S608 - the models' tables
           f" WHERE m.user_id = {USER_ALIAS}.id AND c.insee = %s AND m.status = %s AND m.role IN ({slots})"
           " ORDER BY m.commune_id LIMIT 1)")  # fmt: skip
    return Also("communes.moderated_by_insee", sql, (insee, MembershipStatus.APPROVED.value, *roles))


def stats_communes(user: User) -> CommuneQuerySet:
    """Communes whose statistics the user may read: moderators of it, gendarmes of its area, operators of its
    territory, staff."""
    communes = Commune.objects.all()
    if user.is_staff:
        return communes
    q = Q(pk__in=moderated_commune_ids(user)) | operated_q(user)
    area = gendarme_area_q(user)
    if area is not None:
        q |= area
    return communes.filter(q)



def operator_territories(user: User) -> list[Territory]:
    """The territories the user operates (EPCI or département), by kind then code."""
    if not user.is_authenticated:
        return []
    rows = TerritoryOperator.objects.filter(user=user).order_by("kind", "code").values_list("kind", "code")
    return [territory for kind, code in rows if (territory := find_territory(kind, code)) is not None]


def operated_q(user: User, prefix: str = "") -> Q:
    """Communes (`prefix` = path to the commune) of the territories the user operates, none if they operate
    none: subqueries of the query it filters, as in_gendarme_area."""
    operations = TerritoryOperator.objects.filter(user=user)
    epcis = operations.filter(kind=TerritoryKind.EPCI).values("code")
    departements = operations.filter(kind=TerritoryKind.DEPARTEMENT).values("code")
    return Q(**{f"{prefix}type": CommuneType.COMMUNE}) & (
        Q(**{f"{prefix}epci_siren__in": epcis}) | Q(**{f"{prefix}departement__in": departements})
    )


def operates(user: User, commune: Commune) -> bool:
    """Whether the user operates a territory the commune belongs to."""
    if not user.is_authenticated or commune.type != CommuneType.COMMUNE:
        return False
    # A commune without an intercommunality names none: no operator's code is empty.
    return _operates(user.pk, commune.departement, commune.epci_siren or "")


def operates_territory(user: User, kind: str, code: str) -> bool:
    return user.is_authenticated and (
        user.is_staff or TerritoryOperator.objects.filter(user=user, kind=kind, code=code).exists()
    )


def operated_communes(user: User) -> CommuneQuerySet:
    """Communes the user manages as a territory's operator (every commune for staff)."""
    if user.is_staff:
        return Commune.objects.filter(type=CommuneType.COMMUNE)
    return Commune.objects.filter(operated_q(user))


def is_operator(user: User) -> bool:
    return user.is_authenticated and TerritoryOperator.objects.filter(user=user).exists()


def delegated_commune_ids(user: User) -> QuerySet:
    """Communes whose mayor delegated the moderation of reports to a territory the user operates."""
    operations = TerritoryOperator.objects.filter(user=user, kind=OuterRef("kind"), code=OuterRef("code"))
    return ModerationDelegation.objects.filter(Exists(operations)).values("commune_id")


def reports_moderated_q(user: User, prefix: str = "") -> Q:
    """Communes (`prefix` = path to the commune) whose reports the user moderates: as a moderator, or as an
    operator their mayor delegated it to. Subqueries, as in_gendarme_area."""
    return Q(**{f"{prefix}pk__in": moderated_commune_ids(user)}) | Q(**{f"{prefix}pk__in": delegated_commune_ids(user)})


def moderates_reports(user: User, commune: Commune | int) -> bool:
    """May approve, reject, edit and follow up the commune's reports: staff, its mayors and referents, the
    operators of the territory its mayor delegated moderation to. Nothing else comes with a delegation."""
    if not user.is_authenticated:
        return False
    if user.is_staff or is_moderator(user, commune):
        return True
    commune_id = commune if isinstance(commune, int) else commune.pk
    return delegated_commune_ids(user).filter(commune_id=commune_id).exists()


def reports_moderated_ids(user: User) -> set[int]:
    """The ids of the communes whose reports the user moderates (moderators' fields shown in answers)."""
    # One query (a UNION): every alert request asks it.
    # No ordering in either part: SQLite (make run) refuses an ORDER BY inside a UNION.
    moderated = moderated_commune_ids(user).order_by().values_list("commune_id", flat=True)
    return set(moderated.union(delegated_commune_ids(user).order_by().values_list("commune_id", flat=True)))


def reads_audit(user: User, commune: Commune) -> bool:
    """May read the commune's audit log: its mayors, the operators of its territories (and staff)."""
    return user.is_authenticated and (user.is_staff or is_mayor(user, commune) or operates(user, commune))
