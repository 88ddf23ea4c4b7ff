"""Who may issue a commune's public warnings: its mayors, the referents a mayor named, staff.

Over `communes.access`, never beside it: a delegation counts only while its holder is still a referent of the
commune (a referent demoted to resident, or excluded, loses it without anyone revoking it).
"""

from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from communes import access
from communes.models import Commune, CommuneQuerySet, CommuneType, MembershipStatus, Role

from .models import WarningDelegate, WarningPartnership


def is_delegate(user: User, commune: Commune) -> bool:
    """Named by a mayor, and still a referent of the commune."""
    if not user.is_authenticated:
        return False
    if access.role_in(user, commune) != Role.REFERENT:
        return False
    return WarningDelegate.objects.filter(commune=commune, user=user).exists()


def may_warn(user: User, commune: Commune) -> bool:
    """Issue, update and end the commune's warnings, relay or dismiss its vigilance."""
    if not user.is_authenticated:
        return False
    return user.is_staff or access.is_mayor(user, commune) or is_delegate(user, commune)


def manages_warnings(user: User, commune: Commune) -> bool:
    """Name or revoke delegates and set the commune's warning rules: its mayors and staff."""
    return user.is_authenticated and (user.is_staff or access.is_mayor(user, commune))


def reads_vigilance(user: User, commune: Commune) -> bool:
    """See the vigilance prompts (who is prompted: mayors and referents; staff)."""
    return user.is_authenticated and (user.is_staff or access.is_moderator(user, commune))


def may_warn_area(user: User, commune: Commune) -> bool:
    """Include the commune in a warning over several communes: staff; an operator of a territory it belongs to;
    whoever may warn it (its mayors, their delegates) or a commune whose mayors it accepts warnings from. Only an
    enrolled commune: there is nobody to reach in another."""
    if not user.is_authenticated or not commune.enrolled or commune.type != CommuneType.COMMUNE:
        return False
    if user.is_staff or access.operates(user, commune) or may_warn(user, commune):
        return True
    partners = WarningPartnership.objects.filter(commune=commune).values_list("partner_id", flat=True)
    return any(may_warn(user, partner) for partner in Commune.objects.filter(pk__in=partners))


def area_warnable(user: User) -> CommuneQuerySet:
    """The communes may_warn_area lets the user include, as a queryset (the desk's choices, a radius's)."""
    enrolled = Commune.objects.filter(enrolled=True, type=CommuneType.COMMUNE)
    if not user.is_authenticated:
        return enrolled.none()
    if user.is_staff:
        return enrolled
    own = _warned_commune_ids(user)
    partnered = WarningPartnership.objects.filter(partner_id__in=own).values("commune_id")
    return enrolled.filter(access.operated_q(user) | Q(pk__in=own) | Q(pk__in=partnered))


def refused_in_area(user: User, communes: Iterable[Commune]) -> list[str]:
    """The INSEE codes of those communes that may_warn_area refuses the user: one query for all of them (a
    département's warning has 300), by area_warnable."""
    communes = list(communes)
    allowed = set(area_warnable(user).filter(pk__in=[c.pk for c in communes]).values_list("pk", flat=True))
    return [c.insee for c in communes if c.pk not in allowed]


def area_refusal(user: User, communes: Iterable[Commune]) -> str | None:
    """Why the user may not write a warning over these communes (the API's 403 and the desk's), or None."""
    refused = refused_in_area(user, communes)
    return _("Vous ne pouvez pas alerter ces communes : %(insee)s.") % {"insee": ", ".join(refused)} if refused else None


def _warned_commune_ids(user: User) -> list[int]:
    """Where the user may warn as a person of the commune: mayor, or a referent still holding a delegation."""
    mayor = access.approved_memberships(user).filter(role=Role.MAYOR).values_list("commune_id", flat=True)
    delegated = WarningDelegate.objects.filter(
        user=user, commune__memberships__user=user, commune__memberships__role=Role.REFERENT,
        commune__memberships__status=MembershipStatus.APPROVED,
    ).values_list("commune_id", flat=True)  # fmt: skip
    return sorted({*mayor, *delegated})
