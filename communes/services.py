"""Writes on communes and memberships. Views and commands call these; nothing else writes."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from audit.services import audit_record
from vigilants.errors import Conflict

from . import access
from .models import Commune, Membership, MembershipStatus, Neighbourhood, Role

# The audit actions that name a commune's first mayor: the latest says who holds that place (operations.py).
FIRST_MAYOR_ENROLLED = "membership.enrolled_mayor"
FIRST_MAYOR_REPLACED = "membership.first_mayor_named"


def _snapshot(membership: Membership) -> dict[str, Any]:
    return {"role": membership.role, "status": membership.status, "user": membership.user_id}


@transaction.atomic
def commune_enroll(
    *, commune: Commune, mayor: User | None = None, address: str = "Mairie", actor: User | None = None
) -> Commune:
    """Enrol a commune in the scheme and, optionally, name its first mayor (idempotent). `actor`: who did it (a
    territory's operator, staff), in the commune's audit log; None for the command line."""
    if not commune.enrolled:
        commune.enrolled = True
        commune.enrolled_at = timezone.now()
        commune.save(update_fields=["enrolled", "enrolled_at"])
        audit_record(actor=actor, action="commune.enrolled", obj=commune, commune=commune,
                     after={"enrolled_at": commune.enrolled_at.isoformat()})  # fmt: skip
    if mayor is not None:
        membership, _created = Membership.objects.get_or_create(
            user=mayor, commune=commune, defaults={"address": address}
        )
        before = _snapshot(membership)
        membership.role, membership.status, membership.decided_at = Role.MAYOR, MembershipStatus.APPROVED, timezone.now()
        membership.decided_by = actor
        membership.save()
        audit_record(actor=actor, action=FIRST_MAYOR_ENROLLED, obj=membership, commune=commune,
                     before=before, after=_snapshot(membership))  # fmt: skip
    return commune


@transaction.atomic
def membership_request(
    *, user: User, commune: Commune, address: str, neighbourhood: Neighbourhood | None = None
) -> Membership:
    if not commune.enrolled:
        raise ValidationError({"commune": [_("Cette commune ne participe pas (encore) au dispositif.")]})
    if neighbourhood is not None and neighbourhood.commune_id != commune.pk:
        raise ValidationError({"neighbourhood": [_("Ce quartier n'appartient pas à cette commune.")]})
    existing = Membership.objects.select_for_update().filter(user=user, commune=commune).first()
    if existing is not None and existing.status != MembershipStatus.REJECTED:
        raise Conflict(_("Vous avez déjà une adhésion à cette commune."))
    membership = existing or Membership(user=user, commune=commune)
    membership.address, membership.neighbourhood = address, neighbourhood
    membership.status, membership.role, membership.rejection_reason = MembershipStatus.PENDING, Role.RESIDENT, ""
    membership.save()
    return membership


def _lock(membership: Membership) -> Membership:
    # The commune's row first, on every path that may change its mayors: two mayors removing each other at
    # once are served one after the other (the count of mayors left is never stale), and locks always come
    # in the same order (commune, then membership), so they cannot deadlock.
    Commune.objects.select_for_update().only("pk").get(pk=membership.commune_id)
    return Membership.objects.select_for_update().get(pk=membership.pk)


def may_decide(actor: User, membership: Membership) -> bool:
    """Referents decide on residents only: a referent's or a mayor's membership is for the mayors (and staff)."""
    return membership.role == Role.RESIDENT or actor.is_staff or access.is_mayor(actor, membership.commune_id)


def ensure_may_decide(actor: User, membership: Membership) -> None:
    if not may_decide(actor, membership):
        raise PermissionDenied(_("Seul le maire décide de l'adhésion d'un référent ou d'un maire."))


def _mayors_left_without(membership: Membership) -> int:
    return (
        Membership.objects.filter(commune_id=membership.commune_id, role=Role.MAYOR, status=MembershipStatus.APPROVED)
        .exclude(pk=membership.pk)
        .count()
    )


def _guard_last_mayor(membership: Membership) -> None:
    is_mayor = membership.role == Role.MAYOR and membership.status == MembershipStatus.APPROVED
    if is_mayor and _mayors_left_without(membership) == 0:
        raise Conflict(_("La commune doit garder au moins un maire."))


@transaction.atomic
def membership_approve(*, membership: Membership, actor: User) -> Membership:
    """Accept a request, or take an excluded member back: as a resident (roles are given by PATCH, by a mayor)."""
    membership = _lock(membership)
    ensure_may_decide(actor, membership)
    if membership.status == MembershipStatus.APPROVED:
        raise Conflict(_("Cette adhésion est déjà acceptée."))
    before = _snapshot(membership)
    membership.status, membership.role, membership.rejection_reason = MembershipStatus.APPROVED, Role.RESIDENT, ""
    membership.decided_at, membership.decided_by = timezone.now(), actor
    membership.save()
    audit_record(actor=actor, action="membership.approved", obj=membership, commune=membership.commune,
                 before=before, after=_snapshot(membership))  # fmt: skip
    return membership


@transaction.atomic
def membership_reject(*, membership: Membership, actor: User, reason: str) -> Membership:
    """Refuse a request, or exclude a member (never the last mayor); an excluded moderator keeps no role."""
    membership = _lock(membership)
    ensure_may_decide(actor, membership)
    if membership.status == MembershipStatus.REJECTED:
        raise Conflict(_("Cette adhésion est déjà refusée."))
    _guard_last_mayor(membership)
    before = _snapshot(membership)
    membership.status, membership.role, membership.rejection_reason = MembershipStatus.REJECTED, Role.RESIDENT, reason
    membership.decided_at, membership.decided_by = timezone.now(), actor
    membership.save()
    audit_record(actor=actor, action="membership.rejected", obj=membership, commune=membership.commune,
                 before=before, after={**_snapshot(membership), "reason": reason})  # fmt: skip
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, actor: User, role: str) -> Membership:
    membership = _lock(membership)
    if membership.status != MembershipStatus.APPROVED:
        raise ValidationError({"role": [_("Seul un membre accepté peut changer de rôle.")]})
    if membership.role == role:
        return membership
    if role != Role.MAYOR:
        _guard_last_mayor(membership)
    before = _snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(actor=actor, action="membership.role_changed", obj=membership, commune=membership.commune,
                 before=before, after=_snapshot(membership))  # fmt: skip
    return membership


@transaction.atomic
def membership_leave(*, membership: Membership, actor: User) -> None:
    membership = _lock(membership)
    _guard_last_mayor(membership)
    audit_record(actor=actor, action="membership.left" if actor.pk == membership.user_id else "membership.removed",
                 obj=membership, commune=membership.commune, before=_snapshot(membership))  # fmt: skip
    membership.delete()


def neighbourhood_create(*, commune: Commune, actor: User, **fields: Any) -> Neighbourhood:
    if Neighbourhood.objects.filter(commune=commune, name__iexact=fields["name"]).exists():
        raise ValidationError({"name": [_("Un quartier porte déjà ce nom.")]})
    with transaction.atomic():
        neighbourhood = Neighbourhood.objects.create(commune=commune, **fields)
        audit_record(actor=actor, action="neighbourhood.created", obj=neighbourhood, commune=commune,
                     after={"name": neighbourhood.name})  # fmt: skip
    return neighbourhood
