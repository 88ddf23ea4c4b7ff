"""Writes on communes and memberships. Views and commands call these; nothing else writes."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Commune, Membership, MembershipStatus, Role


@transaction.atomic
def commune_enroll(*, commune: Commune, mayor: User | None = None, address: str = "Mairie") -> Commune:
    """Enrol a commune in the scheme and, optionally, name its first mayor (idempotent)."""
    if not commune.enrolled:
        commune.enrolled = True
        commune.enrolled_at = timezone.now()
        commune.save(update_fields=["enrolled", "enrolled_at"])
    if mayor is not None:
        Membership.objects.update_or_create(
            user=mayor,
            commune=commune,
            defaults={"role": Role.MAYOR, "status": MembershipStatus.APPROVED, "decided_at": timezone.now()},
            create_defaults={
                "address": address,
                "role": Role.MAYOR,
                "status": MembershipStatus.APPROVED,
                "decided_at": timezone.now(),
            },
        )
    return commune
