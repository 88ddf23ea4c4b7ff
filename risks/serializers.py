"""The public warnings' API shapes: a warning as everyone reads it, what a mayor posts, delegates, rules."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import User
from communes.models import Neighbourhood
from vigilants.api import PlacedDateTimeField

from . import instructions
from .models import (
    CAP_CATEGORY,
    AreaKind,
    Certainty,
    Hazard,
    Level,
    RiskPolicy,
    RiskWarning,
    Severity,
    Urgency,
    VigilanceChange,
    WarningDelegate,
)
from .selectors import latest_in_thread, thread_key, warning_status
from .services import Area, Content

AREA_FIELDS = ("area_kind", "neighbourhoods", "latitude", "longitude", "radius_m")


class WarningSerializer(serializers.ModelSerializer[RiskWarning]):
    """A row of a thread, public: no one's name, the commune speaks. `latest` is the thread's row now in force."""

    commune = serializers.CharField(source="commune.insee")
    thread = serializers.SerializerMethodField()
    references: serializers.PrimaryKeyRelatedField[RiskWarning] = serializers.PrimaryKeyRelatedField(read_only=True)
    status = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    latest = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField()

    class Meta:
        model = RiskWarning
        fields = [
            "id", "identifier", "commune", "thread", "references", "latest", "msg_type", "status", "hazard", "level",
            "severity", "urgency", "certainty", "category", "title", "description", "instruction", "area",
            "expires_at", "sent_at", "origin", "notification_tag", "group",
        ]  # fmt: skip
        read_only_fields = fields

    def get_thread(self, warning: RiskWarning) -> int:
        return thread_key(warning)

    def get_status(self, warning: RiskWarning) -> str:
        return warning_status(warning)

    def get_category(self, warning: RiskWarning) -> str:
        return CAP_CATEGORY[Hazard(warning.hazard)]

    def get_area(self, warning: RiskWarning) -> dict[str, Any]:
        return {
            "kind": warning.area_kind, "latitude": warning.latitude, "longitude": warning.longitude,
            "radius_m": warning.radius_m,
            "neighbourhoods": [{"id": n.pk, "name": n.name} for n in warning.neighbourhoods.all()],
        }  # fmt: skip

    def get_group(self, warning: RiskWarning) -> dict[str, Any] | None:
        """Sent over several communes at once: by whom (a territory, a town hall), updated and ended together."""
        if warning.group is None:
            return None
        return {"id": warning.group_id, "sender": warning.group.sender}

    def get_latest(self, warning: RiskWarning) -> int:
        if self.context.get("latest_rows"):  # a list of each thread's latest row
            return warning.pk
        return latest_in_thread(warning).pk


class WarningWriteSerializer(serializers.Serializer[None]):
    """POST /communes/{insee}/warnings, and (partial) POST /warnings/{id}/update. Context: `commune`.

    Shapes and choices only: the clock, the area inside the commune and the thread's state are the service's
    (risks.services.check_content), so that the API and the desk refuse the same things with the same words."""

    hazard = serializers.ChoiceField(choices=Hazard.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000)
    instruction = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    expires_at = PlacedDateTimeField()
    area_kind = serializers.ChoiceField(choices=AreaKind.choices, required=False)
    neighbourhoods = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=200)
    latitude = serializers.FloatField(required=False, allow_null=True)
    longitude = serializers.FloatField(required=False, allow_null=True)
    radius_m = serializers.IntegerField(required=False, allow_null=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_null=True)
    certainty = serializers.ChoiceField(choices=Certainty.choices, required=False, allow_null=True)

    def validate_neighbourhoods(self, value: list[int]) -> list[Neighbourhood]:
        found = list(Neighbourhood.objects.filter(commune=self.context["commune"], pk__in=value))
        if len(found) != len(set(value)):
            raise serializers.ValidationError(_("Quartier inconnu dans cette commune."))
        return found

    def content(self) -> Content:
        """A new warning's: without `instruction`, the ready text of its hazard and level."""
        data = dict(self.validated_data)
        if "instruction" not in data:
            data["instruction"] = instructions.ready_text(data["hazard"], data["level"])
        return Content(area=area_of(data), **{k: v for k, v in data.items() if k not in AREA_FIELDS})

    def changes(self, previous: RiskWarning | None) -> dict[str, Any]:
        """An update's (or a relay's, `previous` None): what was given, the area completed from `previous` when only
        part of it was."""
        data = dict(self.validated_data)
        if any(name in data for name in AREA_FIELDS):
            data["area"] = area_of(data, previous)
        return {k: v for k, v in data.items() if k not in AREA_FIELDS}


def area_of(data: dict[str, Any], previous: RiskWarning | None = None) -> Area:
    """The area posted; what was not posted is the previous row's (an update), else the default."""

    def given(name: str, default: Any) -> Any:
        if name in data:
            return data[name]
        return getattr(previous, name) if previous is not None else default

    kind = data.get("area_kind", previous.area_kind if previous is not None else AreaKind.COMMUNE)
    if "neighbourhoods" in data:
        neighbourhoods = tuple(data["neighbourhoods"])
    else:
        neighbourhoods = tuple(previous.neighbourhoods.all()) if previous is not None else ()
    return Area(kind=kind, neighbourhoods=neighbourhoods, latitude=given("latitude", None),
                longitude=given("longitude", None), radius_m=given("radius_m", None))  # fmt: skip


class EndSerializer(serializers.Serializer[None]):
    text = serializers.CharField(max_length=2000)


class InstructionQuerySerializer(serializers.Serializer[None]):
    hazard = serializers.ChoiceField(choices=Hazard.choices)
    level = serializers.ChoiceField(choices=Level.choices, required=False, default=Level.INFORMATION)


class InstructionSerializer(serializers.Serializer[None]):
    """GET /warnings/instructions: the ready text and where its advice comes from (for the schema)."""

    hazard = serializers.ChoiceField(choices=Hazard.choices)
    level = serializers.ChoiceField(choices=Level.choices)
    instruction = serializers.CharField()
    sources = serializers.ListField(child=serializers.URLField())


class PersonSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "display_name"]


class DelegateSerializer(serializers.ModelSerializer[WarningDelegate]):
    user = PersonSerializer(read_only=True)
    granted_by = PersonSerializer(read_only=True)

    class Meta:
        model = WarningDelegate
        fields = ["id", "user", "granted_by", "granted_at"]
        read_only_fields = fields


class DelegateGrantSerializer(serializers.Serializer[None]):
    user = serializers.IntegerField(min_value=1)

    def validate_user(self, value: int) -> User:
        user = User.objects.filter(pk=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(_("Personne inconnue."))
        return user


class RiskPolicySerializer(serializers.ModelSerializer[RiskPolicy]):
    relay_red_automatically = serializers.BooleanField()

    class Meta:
        model = RiskPolicy
        fields = ["relay_red_automatically"]


class VigilanceChangeSerializer(serializers.ModelSerializer[VigilanceChange]):
    """A change of the State's vigilance, as its commune's mayors and referents read it, with what was decided."""

    decision = serializers.SerializerMethodField()
    relayed_as: serializers.PrimaryKeyRelatedField[RiskWarning] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = VigilanceChange
        fields = ["id", "source", "hazard", "level", "previous_level", "area_code", "area_name", "headline",
                  "description", "onset", "expires", "observed_at", "relayed_as", "decision"]  # fmt: skip
        read_only_fields = fields

    def get_decision(self, change: VigilanceChange) -> dict[str, Any] | None:
        decision = getattr(change, "decision", None)
        if decision is None:
            return None
        return {"outcome": decision.outcome, "automatic": decision.automatic, "decided_at": decision.decided_at,
                "decided_by": PersonSerializer(decision.decided_by).data if decision.decided_by else None}  # fmt: skip
