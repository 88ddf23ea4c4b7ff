"""Phone numbers: national French format accepted, E.164 stored, mobiles only (codes go by SMS)."""

from typing import Any

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_mobile(value: str) -> str:
    """`06 12 34 56 78` → `+33612345678`; raises ValidationError for an invalid or non-mobile number."""
    try:
        number = phonenumbers.parse(str(value), "FR")
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError(_("Numéro de téléphone invalide.")) from None
    if not phonenumbers.is_valid_number(number):
        raise serializers.ValidationError(_("Numéro de téléphone invalide."))
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise serializers.ValidationError(_("Ce numéro n'est pas un mobile : le code est envoyé par SMS."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def otp_region_allowed(phone: str) -> bool:
    """Whether sign-in codes go to this number's region (OTP_ALLOWED_REGIONS): by the number itself, so that
    +262 is Réunion or Mayotte and +590 Guadeloupe, Saint-Barthélemy or Saint-Martin, as the numbering plan says."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, "FR"))
    except phonenumbers.NumberParseException:
        return False
    return region in settings.OTP_ALLOWED_REGIONS


def region_refusal() -> str:
    return _("Les codes de connexion ne sont envoyés qu'aux mobiles des pays et territoires desservis par ce service : "
             "ce numéro n'en fait pas partie.")  # fmt: skip


class MobileField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:  # whatever the JSON held: CharField refuses what is no text
        return normalize_mobile(super().to_internal_value(data))
