"""Following a commune's public warnings: start, change, stop; what a person follows (API, the public page, RGPD).

Anyone signed in may follow an enrolled commune, without asking to join its neighbourhood watch: a follower
receives the commune's public warnings (notifications.models.Audience.PUBLIC), never the watch's reports.
Stopping keeps the row with `stopped_at` set, so that following again later starts from the same choices and
the person's export shows it until they are erased.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.models import User
from vigilants.errors import Conflict

from .models import Commune, Follow, Neighbourhood

# The notifications' channels (notifications.models.Channel, a layer above: a test keeps them equal).
FOLLOW_CHANNELS = ("push", "sms", "voice")


def follow_commune(
    *, user: User, commune: Commune, neighbourhoods: Sequence[Neighbourhood] | None = None,
    channels: Sequence[str] | None = None,
) -> tuple[Follow, bool]:  # fmt: skip
    """Follow `commune` (again), or change what one follows; True when the person was not following it before.

    `neighbourhoods` (of that commune; empty: the whole commune) and `channels` (empty: the person's own
    preferences) replace the follow's; None keeps them (a new follow: the whole commune, the preferences).
    """
    if not commune.enrolled:
        raise Conflict(_("Cette commune ne participe pas (encore) au dispositif : elle n'envoie pas d'avis."))
    _check_choices(commune, neighbourhoods, channels)
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(user=user, commune=commune)
        follow = Follow.objects.select_for_update().get(pk=follow.pk)  # two requests at once: one after the other
        started = created or follow.stopped_at is not None
        if channels is not None:
            follow.channels = [c for c in FOLLOW_CHANNELS if c in channels]
        follow.stopped_at = None
        follow.save(update_fields=["channels", "stopped_at"])
        if neighbourhoods is not None:
            follow.neighbourhoods.set(neighbourhoods)
    return follow, started


def _check_choices(commune: Commune, neighbourhoods: Sequence[Neighbourhood] | None,
                   channels: Sequence[str] | None) -> None:  # fmt: skip
    """The serializers check the same; this guards every other caller (the public page, commands)."""
    errors: dict[str, list[str]] = {}
    if neighbourhoods and any(n.commune_id != commune.pk for n in neighbourhoods):
        errors["neighbourhoods"] = [_("Ce quartier n'appartient pas à cette commune.")]
    if channels and any(c not in FOLLOW_CHANNELS for c in channels):
        errors["channels"] = [_("Canal inconnu : « push » ou « sms ».")]
    if errors:
        raise ValidationError(errors)


def unfollow_commune(*, user: User, commune: Commune) -> bool:
    """Stop following (nothing more is planned for the person as a follower); False if they never followed it.

    Stopping twice keeps the first date: a phone repeating its request after a lost answer changes nothing.
    """
    follow = Follow.objects.filter(user=user, commune=commune).first()
    if follow is None:
        return False
    Follow.objects.filter(pk=follow.pk, stopped_at__isnull=True).update(stopped_at=timezone.now())
    return True


def active_follow(user: User, commune: Commune) -> Follow | None:
    return Follow.objects.filter(user=user, commune=commune, stopped_at__isnull=True).first()


def follows_of(user: User) -> QuerySet[Follow]:
    """What the person follows now, newest first, with what a listing shows."""
    return (
        Follow.objects.filter(user=user, stopped_at__isnull=True)
        .select_related("commune")
        .prefetch_related("neighbourhoods")
        .order_by("-created_at", "-pk")
    )


def export_follows(user: User) -> list[dict[str, Any]]:
    """RGPD access: every follow, stopped ones too (accounts/rgpd.py)."""
    follows = Follow.objects.filter(user=user).select_related("commune").prefetch_related("neighbourhoods")
    return [
        {"commune": f.commune.insee, "commune_name": f.commune.name,
         "neighbourhoods": [n.name for n in f.neighbourhoods.all()], "channels": f.channels,
         "created_at": f.created_at.isoformat(), "stopped_at": f.stopped_at.isoformat() if f.stopped_at else None}
        for f in follows.order_by("created_at", "pk")
    ]  # fmt: skip


def erase_follows(user: User) -> None:
    """RGPD erasure: the person follows nothing any more, and no trace of what they followed is kept."""
    Follow.objects.filter(user=user).delete()
