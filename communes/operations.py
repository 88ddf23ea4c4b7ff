"""Writes of a territory's operators (and staff): enrol a commune with its first mayor, replace that mayor, and
the mayor's delegation of the reports' moderation to a territory. Each is audit-logged in the commune concerned.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import User
from audit.models import AuditEntry
from audit.services import audit_record
from vigilants.errors import Conflict

from .models import Commune, Membership, MembershipStatus, ModerationDelegation, Role
from .services import FIRST_MAYOR_ENROLLED, FIRST_MAYOR_REPLACED, commune_enroll
from .territories import Territory, find_territory, territories_of


@dataclass(frozen=True)
class Person:
    """Who is named mayor: a mobile number (already normalised) and the name shown."""

    phone: str
    display_name: str


def _person(person: Person) -> User:
    user, created = User.objects.get_or_create(phone=person.phone, defaults={"display_name": person.display_name})
    if not created and not user.display_name and person.display_name:
        user.display_name = person.display_name
        user.save(update_fields=["display_name"])
    return user


def _has_mayor(commune: Commune) -> bool:
    return Membership.objects.filter(commune=commune, role=Role.MAYOR, status=MembershipStatus.APPROVED).exists()


def territory_commune(territory: Territory, insee: str) -> Commune:
    """The commune of that territory named by its INSEE code, or a field error on `insee`."""
    commune = territory.communes().filter(insee=insee).first()
    if commune is None:
        raise ValidationError({"insee": [_("Cette commune n'appartient pas à ce territoire.")]})
    return commune


@transaction.atomic
def territory_enroll(*, territory: Territory, actor: User, insee: str, mayor: Person) -> Commune:
    """Enrol a commune of the territory and name its first mayor. A commune already enrolled with a mayor is a
    conflict: its first mayor is replaced by first_mayor_replace, never by enrolling again."""
    commune = territory_commune(territory, insee)
    Commune.objects.select_for_update().only("pk").get(pk=commune.pk)  # two operators enrolling at once
    if commune.enrolled and _has_mayor(commune):
        raise Conflict(_("Cette commune est déjà inscrite et a un maire : remplacez plutôt son premier maire."))
    return commune_enroll(commune=commune, mayor=_person(mayor), actor=actor)


def first_mayor(commune: Commune) -> Membership | None:
    """The membership last named first mayor (by enrolment or replacement), if it is still an approved mayor's."""
    named = (AuditEntry.objects.filter(commune=commune, action__in=[FIRST_MAYOR_ENROLLED, FIRST_MAYOR_REPLACED],
                                       object_type="membership")
             .order_by("-at", "-id").values_list("object_id", flat=True).first())  # fmt: skip
    if named is None:
        return None
    return Membership.objects.filter(pk=int(named), role=Role.MAYOR, status=MembershipStatus.APPROVED).first()


@transaction.atomic
def first_mayor_replace(*, commune: Commune, actor: User, mayor: Person) -> Membership:
    """Name a new first mayor (an approved mayor's membership, the person's account created if need be). The
    one they replace stays a member, as a resident: the commune always has the new one as its mayor, and the
    other mayors the commune's mayors named keep their role."""
    if not commune.enrolled:
        raise ValidationError({"insee": [_("Cette commune n'est pas inscrite : inscrivez-la d'abord.")]})
    Commune.objects.select_for_update().only("pk").get(pk=commune.pk)
    previous, user = first_mayor(commune), _person(mayor)
    membership, _created = Membership.objects.select_for_update().get_or_create(
        user=user, commune=commune, defaults={"address": "Mairie"}
    )
    before = {"role": membership.role, "status": membership.status, "user": user.pk,
              "replaced": previous.user_id if previous else None}  # fmt: skip
    membership.role, membership.status, membership.rejection_reason = Role.MAYOR, MembershipStatus.APPROVED, ""
    membership.decided_at, membership.decided_by = timezone.now(), actor
    membership.save()
    audit_record(actor=actor, action=FIRST_MAYOR_REPLACED, obj=membership, commune=commune, before=before,
                 after={"role": membership.role, "status": membership.status, "user": user.pk})  # fmt: skip
    if previous is not None and previous.pk != membership.pk:
        _demote(previous, actor)
    return membership


def _demote(membership: Membership, actor: User) -> None:
    membership.role = Role.RESIDENT
    membership.save(update_fields=["role"])
    audit_record(actor=actor, action="membership.role_changed", obj=membership, commune=membership.commune,
                 before={"role": Role.MAYOR, "user": membership.user_id},
                 after={"role": Role.RESIDENT, "user": membership.user_id})  # fmt: skip


def commune_territory(commune: Commune, slug: str) -> Territory:
    """The territory named "epci-<SIREN>" or "departement-<code>" among the commune's own, or a field error."""
    for territory in territories_of(commune):
        if territory.slug == slug:
            return find_territory(territory.kind, territory.code) or territory
    raise ValidationError({"territory": [_("Ce territoire n'est pas celui de la commune.")]})


@transaction.atomic
def moderation_delegate(*, commune: Commune, actor: User, territory: Territory) -> ModerationDelegation:
    """The mayor lets the territory's operators moderate the commune's reports (replacing any other delegation)."""
    existing = ModerationDelegation.objects.select_for_update().filter(commune=commune).first()
    before = {"territory": f"{existing.kind}-{existing.code}"} if existing else None
    delegation, _created = ModerationDelegation.objects.update_or_create(
        commune=commune, defaults={"kind": territory.kind, "code": territory.code, "granted_by": actor}
    )
    audit_record(actor=actor, action="moderation.delegated", obj=delegation, commune=commune, before=before,
                 after={"territory": territory.slug})  # fmt: skip
    return delegation


@transaction.atomic
def moderation_undelegate(*, commune: Commune, actor: User) -> None:
    delegation = ModerationDelegation.objects.select_for_update().filter(commune=commune).first()
    if delegation is None:
        raise NotFound(_("La modération de cette commune n'est pas déléguée."))
    audit_record(actor=actor, action="moderation.delegation_ended", obj=delegation, commune=commune,
                 before={"territory": f"{delegation.kind}-{delegation.code}"})  # fmt: skip
    delegation.delete()
