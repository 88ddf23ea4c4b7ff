"""Phone numbers: national French format accepted, E.164 stored, mobiles only (codes go by SMS)."""

import phonenumbers
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


class MobileField(serializers.CharField):
    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> str:
        return normalize_mobile(super().to_internal_value(data))
