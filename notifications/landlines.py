"""Landlines: a fixed line a person is called on, for voice only (models.Landline).

A person registers their own (`POST /me/landline`): a call reads them a 6-digit code, which they type back
(`POST /me/landline/verify`); the line is usable once verified. The town hall registers a resident who has no
phone of their own to manage (`POST /communes/{insee}/landline-residents`): an account whose only number is the
landline (it takes no SMS and signs nobody in), an approved membership, calls as its channel, and the person's
consent recorded (who, when, how) and written in the commune's audit log.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from redis.exceptions import RedisError
from rest_framework import serializers

from accounts.models import User
from audit.services import audit_record
from communes.models import Commune, Membership, MembershipStatus, Neighbourhood, Role
from providers import ratelimit
from providers.base import Outcome
from providers.twilio_voice import CallRequest, get_voice_backend, read_out
from vigilants.errors import Conflict, ProviderUnavailable

from .models import Channel, Landline

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
CODE_ATTEMPTS = 5  # wrong codes typed before the code is burnt
CALLS_PER_HOUR = 3  # verification calls per person per hour: each one is a call the service pays for
CALL_RATE_WAIT_SECONDS = 5.0  # how long a verification call waits for its share of CALLS_PER_SECOND
_LANDLINE_PREFIXES = "123459"  # 01 to 05 (geographic) and 09 (boxes)


def normalize_landline(value: str) -> str:
    """`01 42 76 40 40` → `+33142764040`; a mobile or anything but a French landline is a ValidationError."""
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError(_("Numéro de ligne fixe invalide.")) from None
    if not phonenumbers.is_valid_number(number) or number.country_code != 33:
        raise serializers.ValidationError(_("Numéro de ligne fixe invalide."))
    national = phonenumbers.national_significant_number(number)
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE:
        raise serializers.ValidationError(
            _("Ce numéro est un mobile : une ligne fixe commence par 01, 02, 03, 04, 05 ou 09."))  # fmt: skip
    if national[0] not in _LANDLINE_PREFIXES:
        raise serializers.ValidationError(_("Une ligne fixe commence par 01, 02, 03, 04, 05 ou 09."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class LandlineField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return normalize_landline(super().to_internal_value(data))


def representation(landline: Landline) -> dict[str, Any]:
    return {
        "phone": landline.phone,
        "verified": landline.verified_at is not None,
        "verified_at": landline.verified_at.isoformat() if landline.verified_at else None,
        "usable": landline.usable,
        "registered_by_town_hall": landline.consent_at is not None,
        "consent_at": landline.consent_at.isoformat() if landline.consent_at else None,
        "consent_note": landline.consent_note,
        "created_at": landline.created_at.isoformat(),
    }


# --- a person's own landline, verified by a call ---------------------------------------------------------------------
def _digest(landline_id: int, code: str) -> str:
    # Keyed: a leaked table of 6-digit codes must not be reversible by trying a million values.
    return hmac.new(settings.SECRET_KEY.encode(), f"landline:{landline_id}:{code}".encode(), hashlib.sha256).hexdigest()


def register_landline(*, user: User, phone: str) -> Landline:
    """Record (or replace) the person's landline, unverified, and call it to read the code."""
    _count_call(user)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        landline, _created = Landline.objects.select_for_update().get_or_create(user=user, defaults={"phone": phone})
        landline.phone, landline.verified_at, landline.code_attempts = phone, None, 0
        landline.code_hash = _digest(landline.pk, code)
        landline.code_expires_at = timezone.now() + CODE_TTL
        landline.registered_by, landline.consent_at, landline.consent_note = None, None, ""
        landline.save()
    _call(landline, code)
    return landline


def _count_call(user: User) -> None:
    key = f"landline-calls:{user.pk}"
    try:
        cache.add(key, 0, timeout=3600)
        count = cache.incr(key)
    except (RedisError, ValueError):
        return  # the cache is down or the key just expired: the API's own throttles still bound the calls
    if count > CALLS_PER_HOUR:
        raise serializers.ValidationError(
            {"number": [_("Trop d'appels de vérification demandés : réessayez dans une heure.")]})  # fmt: skip


def _call(landline: Landline, code: str) -> None:
    with override("fr"):  # a call: French, whatever language the request asked for
        twiml = read_out(_("Bonjour, ici Vigilants. Votre code de vérification est :"), code,
                         _("Je répète, votre code est :"), _("Au revoir."))  # fmt: skip
    request = CallRequest(key=f"landline-{landline.pk}", to=landline.phone, twiml=twiml, status_callback="")
    try:
        with ratelimit.held(1, timeout=CALL_RATE_WAIT_SECONDS, rate="calls") as hold:
            if hold is None:
                raise ProviderUnavailable(CALL_RATE_WAIT_SECONDS)
            result = get_voice_backend().place(request)
    except RedisError:
        log.warning("landline verification call placed outside the call rate: Redis unavailable")
        result = get_voice_backend().place(request)
    if result.outcome == Outcome.SENT:
        return
    log.warning("landline %s: verification call not placed: %s %s", landline.pk, result.outcome, result.error_code)
    if result.outcome == Outcome.PERMANENT:
        raise serializers.ValidationError({"number": [_("Impossible d'appeler ce numéro.")]})
    raise ProviderUnavailable(result.retry_after)


def verify_landline(*, user: User, code: str) -> Landline:
    """The right code marks the line verified; wrong ones count, CODE_ATTEMPTS burn the code."""
    landline = Landline.objects.filter(user=user).first()
    if landline is None:
        raise serializers.ValidationError({"code": [_("Aucune ligne fixe à vérifier.")]})
    if landline.verified_at is not None:
        return landline
    expired = _("Code expiré ou inconnu : demandez un nouvel appel.")
    live = {"pk": landline.pk, "verified_at": None, "code_attempts__lt": CODE_ATTEMPTS,
            "code_expires_at__gt": timezone.now()}  # fmt: skip
    if not landline.code_hash or not Landline.objects.filter(**live).update(code_attempts=F("code_attempts") + 1):
        raise serializers.ValidationError({"code": [expired]})
    if not hmac.compare_digest(landline.code_hash, _digest(landline.pk, code)):
        raise serializers.ValidationError({"code": [_("Code incorrect.")]})
    # On the code just compared: a new call placed meanwhile (a new code) leaves the line unverified.
    if not Landline.objects.filter(pk=landline.pk, code_hash=landline.code_hash).update(
            verified_at=timezone.now(), code_hash="", code_expires_at=None):  # fmt: skip
        raise serializers.ValidationError({"code": [expired]})
    landline.refresh_from_db()
    return landline


# --- a resident registered by the town hall ------------------------------------------------------------------------
@transaction.atomic
def register_resident(*, commune: Commune, actor: User, display_name: str, landline: str, address: str,
                      consent_note: str, neighbourhood: Neighbourhood | None = None) -> Landline:  # fmt: skip
    """An account for a resident without a phone of their own to manage: the landline is its only number (no SMS
    goes there, no sign-in code either), an approved membership, calls as its channel, the consent recorded."""
    if not commune.enrolled:
        raise serializers.ValidationError({"commune": [_("Cette commune ne participe pas (encore) au dispositif.")]})
    if User.objects.filter(phone=landline).exists():
        raise Conflict(_("Ce numéro est déjà celui d'un compte."))
    now = timezone.now()
    user = User.objects.create_user(landline, display_name=display_name,
                                    preferences={"channels": [Channel.VOICE.value], "categories": None,
                                                 "quiet_hours": None})  # fmt: skip
    membership = Membership.objects.create(user=user, commune=commune, address=address, neighbourhood=neighbourhood,
                                           role=Role.RESIDENT, status=MembershipStatus.APPROVED, decided_at=now,
                                           decided_by=actor)  # fmt: skip
    line = Landline.objects.create(user=user, phone=landline, registered_by=actor, consent_at=now,
                                   consent_note=consent_note)  # fmt: skip
    # No number in the log: the landline stays in the person's own data, which their erasure removes.
    audit_record(actor=actor, action="landline.resident_registered", obj=membership, commune=commune,
                 after={"user": user.pk, "display_name": display_name, "consent_at": now.isoformat(),
                        "consent_note": consent_note})  # fmt: skip
    return line


# --- RGPD (accounts/rgpd.py) -----------------------------------------------------------------------------------------
def export_landline(user: User) -> dict[str, Any] | None:
    landline = Landline.objects.filter(user=user).select_related("registered_by").first()
    if landline is None:
        return None
    out = representation(landline)
    by = landline.registered_by
    out["registered_by"] = (by.display_name or f"#{by.pk}") if by is not None else None
    return out


def erase_landline(user: User) -> None:
    Landline.objects.filter(user=user).delete()
