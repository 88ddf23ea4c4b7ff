"""The API shapes of warnings over several communes and of the partnerships that allow a mayor's ones."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from communes.models import Commune, CommuneType
from notifications.services import MessagePreview

from . import instructions
from .models import AreaWarning, RiskWarning, WarningPartnership
from .serializers import WarningWriteSerializer
from .services import Content
from .territory import MAX_COMMUNES, MAX_RADIUS_KM


class CenterSerializer(serializers.Serializer[None]):
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    longitude = serializers.FloatField(min_value=-180, max_value=180)


class AreaWarningWriteSerializer(WarningWriteSerializer):
    """POST /warnings and /warnings/preview: a warning's fields (each commune whole: no area) and EITHER `communes`
    (INSEE codes) OR `center` and `radius_km`. Unknown codes are field errors; who may warn which commune is the
    view's (403)."""

    area_kind = None  # type: ignore[assignment]
    neighbourhoods = None  # type: ignore[assignment]
    latitude = None  # type: ignore[assignment]
    longitude = None  # type: ignore[assignment]
    radius_m = None  # type: ignore[assignment]
    communes = serializers.ListField(child=serializers.CharField(max_length=5), required=False, allow_empty=True,
                                     max_length=MAX_COMMUNES)  # fmt: skip
    center = CenterSerializer(required=False)
    radius_km = serializers.FloatField(required=False, min_value=0.1, max_value=MAX_RADIUS_KM)

    def validate_communes(self, value: list[str]) -> list[Commune]:
        if not value:
            raise serializers.ValidationError(_("Choisissez au moins une commune."))
        found = {c.insee: c for c in Commune.objects.filter(insee__in=value, type=CommuneType.COMMUNE)}
        unknown = sorted(set(value) - set(found))
        if unknown:
            raise serializers.ValidationError(_("Commune inconnue : %(insee)s.") % {"insee": ", ".join(unknown)})
        return sorted(found.values(), key=lambda c: c.insee)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by_list, by_radius = "communes" in attrs, "center" in attrs or "radius_km" in attrs
        if by_list == by_radius:
            raise serializers.ValidationError({"communes": [_("Donnez soit la liste des communes, soit un centre et un "
                                                              "rayon.")]})  # fmt: skip
        if by_radius and "center" not in attrs:
            raise serializers.ValidationError({"center": [_("Indiquez le centre du rayon.")]})
        if by_radius and "radius_km" not in attrs:
            raise serializers.ValidationError({"radius_km": [_("Indiquez le rayon, en kilomètres.")]})
        return attrs

    def content(self) -> Content:
        """The warning's own fields (without `instruction`, the ready text of its hazard and level)."""
        data = {k: v for k, v in self.validated_data.items() if k not in ("communes", "center", "radius_km")}
        if "instruction" not in data:
            data["instruction"] = instructions.ready_text(data["hazard"], data["level"])
        return Content(**data)


def reach_data(preview: MessagePreview) -> dict[str, Any]:
    reach = preview.reach
    return {
        "people": reach.people, "members": reach.members, "followers": reach.followers, "reached": reach.reached,
        "unreached": reach.unreached, "push": reach.push, "sms": reach.sms, "voice": reach.voice,
        "sms_segments": preview.sms_segments, "sms_cost_eur": str(preview.sms_cost),
        "call_minutes": preview.call_minutes, "call_cost_eur": str(preview.call_cost),
    }  # fmt: skip


class AreaWarningSerializer(serializers.ModelSerializer[AreaWarning]):
    """A group as anyone reads it: who sent it, and each commune's row now in force (context `rows`)."""

    communes = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = AreaWarning
        fields = ["id", "sender", "created_at", "center_latitude", "center_longitude", "radius_km", "communes",
                  "warnings", "notification_tag"]  # fmt: skip
        read_only_fields = fields

    def _rows(self) -> list[RiskWarning]:
        return sorted(self.context["rows"], key=lambda row: row.commune.insee)

    def get_communes(self, group: AreaWarning) -> list[str]:
        return [row.commune.insee for row in self._rows()]

    def get_warnings(self, group: AreaWarning) -> list[dict[str, Any]]:
        return [{"insee": row.commune.insee, "id": row.pk, "identifier": str(row.identifier),
                 "msg_type": row.msg_type} for row in self._rows()]  # fmt: skip


class PartnerSerializer(serializers.ModelSerializer[WarningPartnership]):
    insee = serializers.CharField(source="partner.insee")
    name = serializers.CharField(source="partner.name")

    class Meta:
        model = WarningPartnership
        fields = ["insee", "name", "granted_at"]
        read_only_fields = fields


class PartnerGrantSerializer(serializers.Serializer[None]):
    insee = serializers.CharField(max_length=5)

    def validate_insee(self, value: str) -> Commune:
        commune = Commune.objects.filter(insee=value, type=CommuneType.COMMUNE).first()
        if commune is None:
            raise serializers.ValidationError(_("Commune inconnue."))
        return commune
