"""Query parameters of the statistics endpoints: validated here, 400 with field errors when wrong."""

import re
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from vigilants.categories import Category

from .periods import EARLIEST, MAX_SPAN_DAYS, DateRange, Granularity, default_range, latest, today

INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")
DEPARTEMENT = re.compile(r"^([0-9]{2}|2A|2B|97[0-9])$")
SIREN = re.compile(r"^[0-9]{9}$")
EXPORT_FORMATS = ["csv", "xlsx", "json"]


class RangeQuery(serializers.Serializer):
    """`from` and `to` (YYYY-MM-DD, Paris days, both included); default: the last 12 months."""

    to = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, input_formats=["%Y-%m-%d"])  # a Python keyword
        return fields

    def validate_from(self, value: date) -> date:
        return _bounded(value)

    def validate_to(self, value: date) -> date:
        return _bounded(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("to") or today()
        start = attrs.get("from") or max(default_range(end).start, EARLIEST)
        if start > end:
            raise serializers.ValidationError({"from": [_("La date de début est après la date de fin.")]})
        if (end - start).days > MAX_SPAN_DAYS:
            raise serializers.ValidationError({"from": [_("Période trop longue : dix ans au plus.")]})
        attrs["range"] = DateRange(start, end)
        return attrs


def _bounded(value: date) -> date:
    if not EARLIEST <= value <= latest():
        raise serializers.ValidationError(_("Date hors des limites : du %(first)s au %(last)s.")
                                          % {"first": EARLIEST.isoformat(), "last": latest().isoformat()})  # fmt: skip
    return value


class CommuneStatsQuery(RangeQuery):
    granularity = serializers.ChoiceField(choices=[g.value for g in Granularity], default=Granularity.MONTH.value)


class ExportQuery(RangeQuery):
    departement = serializers.CharField(required=False, max_length=3)
    epci = serializers.CharField(required=False, max_length=9)
    communes = serializers.CharField(required=False, max_length=6000)
    format = serializers.ChoiceField(choices=EXPORT_FORMATS, default="csv")
    categories = serializers.CharField(required=False, max_length=500)

    def validate_departement(self, value: str) -> str:
        value = value.strip().upper()
        if not DEPARTEMENT.match(value):
            raise serializers.ValidationError(_("Code de département invalide."))
        return value

    def validate_epci(self, value: str) -> str:
        value = value.strip()
        if not SIREN.match(value):
            raise serializers.ValidationError(_("SIREN d’intercommunalité invalide : neuf chiffres."))
        return value

    def validate_categories(self, value: str) -> list[str]:
        codes = [code.strip() for code in value.split(",") if code.strip()]
        unknown = [code for code in codes if code not in Category.values]
        if unknown or not codes:
            raise serializers.ValidationError(_("Catégories inconnues : %(codes)s") % {"codes": ", ".join(unknown[:5])})
        return list(dict.fromkeys(codes))

    def validate_communes(self, value: str) -> list[str]:
        codes = [code.strip().upper() for code in value.split(",") if code.strip()]
        wrong = [code for code in codes if not INSEE.match(code)]
        if wrong or not codes:
            raise serializers.ValidationError(_("Codes INSEE invalides : %(codes)s") % {"codes": ", ".join(wrong[:5])})
        return list(dict.fromkeys(codes))
