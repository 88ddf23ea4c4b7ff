"""Input of the territories' endpoints (their output is built by communes/territory_selectors.py)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.phone import MobileField

from .operations import Person


def insee_field() -> serializers.RegexField:
    return serializers.RegexField(r"^[0-9][0-9AB][0-9]{3}$", error_messages={"invalid": _("Code INSEE à 5 caractères.")})


class MayorSerializer(serializers.Serializer):
    phone = MobileField()
    display_name = serializers.CharField(max_length=80, label=_("nom affiché"))

    def person(self) -> Person:
        return Person(phone=self.validated_data["phone"], display_name=self.validated_data["display_name"].strip())


class EnrolSerializer(serializers.Serializer):
    insee = insee_field()
    mayor_phone = MobileField()
    mayor_name = serializers.CharField(max_length=80)

    def person(self) -> Person:
        return Person(phone=self.validated_data["mayor_phone"], display_name=self.validated_data["mayor_name"].strip())


class DelegationSerializer(serializers.Serializer):
    territory = serializers.RegexField(
        r"^(epci-[0-9]{9}|departement-[0-9][0-9AB][0-9]?)$",
        error_messages={"invalid": _("Un territoire de la commune : « epci-<SIREN> » ou « departement-<code> ».")},
    )
