"""Reads for a territory's operators: their territories, and each commune of one with its figures and mayors."""

from typing import Any

from django.db.models import Case, CharField, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, When
from django.db.models.functions import Coalesce

from accounts.models import User
from accounts.serializers import UNASKED
from accounts.token_lookup import USER_ALIAS, Also
from vigilants.prepared import PreparedExists

from .access import operator_territories
from .models import (
    Commune,
    CommuneQuerySet,
    CommuneType,
    Follow,
    Membership,
    MembershipStatus,
    ModerationDelegation,
    Role,
    TerritoryKind,
    TerritoryOperator,
)
from .territories import Territory


def territory_rows(user: User) -> list[dict[str, Any]]:
    """The territories the user operates, each with how many communes it has and how many are enrolled."""
    rows = []
    for territory in operator_territories(user):
        counts = territory.communes().aggregate(communes=Count("pk"), enrolled=Count("pk", filter=Q(enrolled=True)))
        rows.append({"kind": territory.kind, "code": territory.code, "name": territory.name, **counts})
    return rows


def _count(queryset: Any) -> Coalesce:
    counted = queryset.filter(commune=OuterRef("pk")).order_by().values("commune").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_figures(communes: CommuneQuerySet) -> CommuneQuerySet:
    """Communes with `members` (approved), `followers` (active) and `mayor_memberships` (approved mayors)."""
    mayors = Membership.objects.filter(role=Role.MAYOR, status=MembershipStatus.APPROVED).select_related("user")
    return (
        communes.annotate(members=_count(Membership.objects.filter(status=MembershipStatus.APPROVED)),
                          followers=_count(Follow.objects.filter(stopped_at__isnull=True)))
        .prefetch_related(Prefetch("memberships", queryset=mayors.order_by("pk"), to_attr="mayor_memberships"))
    )  # fmt: skip


def territory_communes(territory: Territory) -> list[Commune]:
    """Its communes by name, with their figures and mayors."""
    return list(with_figures(territory.communes()).order_by("name", "insee"))


def commune_row(commune: Commune) -> dict[str, Any]:
    """A commune as its territory's operators read it: figures and mayors, never a phone number."""
    return {
        "insee": commune.insee, "name": commune.name, "population": commune.population,
        "enrolled": commune.enrolled, "enrolled_at": commune.enrolled_at,
        "members": getattr(commune, "members", None), "followers": getattr(commune, "followers", None),
        "mayors": [{"user": m.user_id, "display_name": m.user.display_name}
                   for m in getattr(commune, "mayor_memberships", [])],
    }  # fmt: skip


def territory_detail(territory: Territory) -> dict[str, Any]:
    communes = [commune_row(commune) for commune in territory_communes(territory)]
    return {"kind": territory.kind, "code": territory.code, "name": territory.name, "communes": communes}


def commune_with_figures(commune: Commune) -> dict[str, Any]:
    return commune_row(with_figures(Commune.objects.filter(pk=commune.pk)).get())


def delegation_of(commune: Commune) -> ModerationDelegation | None:
    return ModerationDelegation.objects.filter(commune=commune).first()


def _first_name(field: str, name_field: str) -> Subquery:
    communes = Commune.objects.filter(**{field: OuterRef("code")}, type=CommuneType.COMMUNE).order_by("insee")
    return Subquery(communes.values(name_field)[:1], output_field=CharField())


# TerritoryOperator.objects.filter(user_id=…).exists(), its SQL composed once (vigilants/prepared.py): every
# GET /me asks it, and almost nobody operates a territory.
_operates_any = PreparedExists(TerritoryOperator, lambda user_id: TerritoryOperator.objects.filter(user_id=user_id), int)


def operates_any() -> Also:
    """Read with the token (and kept with it, accounts/signin_cache.py): whether the person operates a territory.
    Every GET /me asks it: for nearly everyone the answer, kept, costs no statement."""
    return Also("communes.operates_any",
                f"(SELECT COUNT(*) FROM (SELECT 1 FROM {TerritoryOperator._meta.db_table} o"  # noqa: S608 - the model's table
                f" WHERE o.user_id = {USER_ALIAS}.id LIMIT 1) AS one)")  # fmt: skip


def my_territories(user: User, operates: Any = UNASKED) -> list[dict[str, str]]:
    """`territories` of GET /me: what operator_territories names; `operates`, operates_any() answered with the
    token, else one prepared EXISTS; for an operator one query more."""
    if not (_operates_any(user.pk) if operates is UNASKED else operates):
        return []
    name = Case(When(kind=TerritoryKind.EPCI, then=_first_name("epci_siren", "epci_name")),
                default=_first_name("departement", "departement_name"))  # fmt: skip
    rows = TerritoryOperator.objects.filter(user=user).annotate(name=name).order_by("kind", "code")
    return [{"kind": kind, "code": code, "name": label or code} for kind, code, label in rows.values_list("kind", "code", "name")]
