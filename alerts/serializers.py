from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from communes.models import Commune, Neighbourhood
from notifications.models import Channel
from vigilants.api import PlacedDateTimeField
from vigilants.categories import Category

from .geo import public_coordinate
from .models import Alert, CommunePolicy, FollowUp, FollowUpKind

MAX_AGE = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)
# Serializer[None]: input validation only, never bound to an instance.


class AlertCreateSerializer(serializers.Serializer[None]):
    commune = serializers.CharField(max_length=10)
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(min_length=5, max_length=2000)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    occurred_at = PlacedDateTimeField(required=False)
    neighbourhood = serializers.IntegerField(required=False, allow_null=True)
    urgent = serializers.BooleanField(required=False, default=False)

    def validate_commune(self, value: str) -> Commune:
        commune = Commune.objects.by_insee(value.strip())
        if commune is None:
            raise serializers.ValidationError(_("Commune inconnue (code INSEE attendu)."))
        if not commune.enrolled:
            raise serializers.ValidationError(_("Cette commune ne participe pas au dispositif."))
        return commune

    def validate_occurred_at(self, value: Any) -> Any:
        now = timezone.now()
        if value > now + CLOCK_SKEW:
            raise serializers.ValidationError(_("La date ne peut pas être dans le futur."))
        if value < now - MAX_AGE:
            raise serializers.ValidationError(_("Les faits de plus de 7 jours se signalent à la gendarmerie (17)."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        commune = attrs["commune"]
        latitude, longitude = attrs.get("latitude"), attrs.get("longitude")
        if (latitude is None) != (longitude is None):
            raise serializers.ValidationError({"latitude": [_("Latitude et longitude vont ensemble.")]})
        if latitude is not None and not commune.contains(latitude, longitude):
            raise serializers.ValidationError({"latitude": [_("Cette position est hors de la commune.")]})
        attrs["neighbourhood"] = _neighbourhood(commune, attrs.get("neighbourhood"))
        return attrs


def _neighbourhood(commune: Commune, pk: int | None) -> Neighbourhood | None:
    if pk is None:
        return None
    neighbourhood = Neighbourhood.objects.filter(pk=pk, commune=commune).first()
    if neighbourhood is None:
        raise serializers.ValidationError({"neighbourhood": [_("Ce quartier n'appartient pas à cette commune.")]})
    return neighbourhood


class AlertUpdateSerializer(serializers.Serializer[None]):
    description = serializers.CharField(min_length=5, max_length=2000, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    urgent = serializers.BooleanField(required=False)


class ReasonSerializer(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=500)


class FollowUpSerializer(serializers.ModelSerializer[FollowUp]):
    kind = serializers.ChoiceField(choices=FollowUpKind.choices)
    body = serializers.CharField(min_length=2, max_length=500)

    class Meta:
        model = FollowUp
        fields = ["id", "kind", "body", "created_at"]


class BroadcastCreateSerializer(serializers.Serializer[None]):
    title = serializers.CharField(max_length=120)
    body = serializers.CharField(max_length=1000)
    urgent = serializers.BooleanField(required=False, default=False)
    neighbourhoods = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.values), required=False, default=list,
                                     allow_empty=True)  # fmt: skip

    def validate_neighbourhoods(self, value: list[int]) -> list[Neighbourhood]:
        found = list(Neighbourhood.objects.filter(commune=self.context["commune"], pk__in=value))
        if len(found) != len(set(value)):
            raise serializers.ValidationError(_("Quartier inconnu dans cette commune."))
        return found


class PolicySerializer(serializers.ModelSerializer[CommunePolicy]):
    auto_approve_categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.choices))
    escalation_minutes = serializers.IntegerField(min_value=5, max_value=7 * 24 * 60)

    class Meta:
        model = CommunePolicy
        fields = ["auto_approve_categories", "escalation_minutes"]


MODERATOR_FIELDS = ("reporter", "moderated_by", "moderated_at", "rejection_reason", "confirmations", "flagged_terms")


class AlertSerializer(serializers.ModelSerializer[Alert]):
    """One serializer, two audiences: moderators of the alert's commune see who reported and who moderated.

    Context: `moderated_communes` (ids the viewer moderates) or `moderates_all` (staff), and `user`.
    """

    commune = serializers.CharField(source="commune.insee")
    reporter = serializers.SerializerMethodField()
    moderated_by = serializers.SerializerMethodField()
    confirmations = serializers.IntegerField(source="confirmations_count")
    followups = FollowUpSerializer(many=True, read_only=True)
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id", "commune", "kind", "category", "title", "description", "latitude", "longitude", "address",
            "occurred_at", "created_at", "status", "urgent", "neighbourhood", "closed_at", "followups", "mine",
            *MODERATOR_FIELDS,
        ]  # fmt: skip

    def get_reporter(self, alert: Alert) -> dict[str, Any] | None:
        return _person(alert.reporter)

    def get_moderated_by(self, alert: Alert) -> dict[str, Any] | None:
        return _person(alert.moderated_by)

    def get_mine(self, alert: Alert) -> bool:
        user = self.context.get("user")
        return bool(user and alert.reporter_id == user.pk)

    def to_representation(self, alert: Alert) -> dict[str, Any]:
        return for_audience(super().to_representation(alert), alert.commune_id, self.context)


def for_audience(data: dict[str, Any], commune_id: int, context: Mapping[str, Any]) -> dict[str, Any]:
    """An alert's full representation cut to what the viewer (AlertSerializer's context) may read."""
    if context.get("moderates_all") or commune_id in context.get("moderated_communes", ()):
        return data
    for name in MODERATOR_FIELDS:
        if not (name == "rejection_reason" and data["mine"]):
            data.pop(name, None)
    # Not the moderators: positions to ~100 m, so that no house (often the reporter's) is pinpointed,
    # and no typed address at all (free text: a number, a name), except to whoever typed it.
    for name in ("latitude", "longitude"):
        if data[name] is not None:
            data[name] = public_coordinate(data[name])
    if not data["mine"]:
        data["address"] = None
    return data


# What alert_rows reads: AlertSerializer's fields as columns, the people's names through joins.
ROW_COLUMNS = (
    "id", "commune_id", "commune__insee", "kind", "category", "title", "description", "latitude", "longitude",
    "address", "occurred_at", "created_at", "status", "urgent", "neighbourhood", "closed_at", "reporter_id",
    "reporter__display_name", "moderated_by_id", "moderated_by__display_name", "moderated_at", "rejection_reason",
    "confirmations_count", "flagged_terms",
)  # fmt: skip
_TIME = serializers.DateTimeField()


def alert_rows(rows: Iterable[dict[str, Any]], context: dict[str, Any]) -> list[dict[str, Any]]:
    """AlertSerializer's output for alerts read as values (`alerts.values(*ROW_COLUMNS)`), not model instances:
    the lists' path, where building each alert with its commune, reporter, moderator and follow-ups, then
    serializing it field by field, was most of a request's time. Same output, for every audience (tested)."""
    rows = list(rows)
    followups = _followups_of([row["id"] for row in rows])
    return [for_audience(_row(row, followups.get(row["id"], []), context), row["commune_id"], context) for row in rows]


def _row(row: dict[str, Any], followups: list[dict[str, Any]], context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    return {
        "id": row["id"], "commune": row["commune__insee"], "kind": row["kind"], "category": row["category"],
        "title": row["title"], "description": row["description"], "latitude": row["latitude"],
        "longitude": row["longitude"], "address": row["address"], "occurred_at": _time(row["occurred_at"]),
        "created_at": _time(row["created_at"]), "status": row["status"], "urgent": row["urgent"],
        "neighbourhood": row["neighbourhood"], "closed_at": _time(row["closed_at"]), "followups": followups,
        "mine": bool(user and row["reporter_id"] == user.pk),
        "reporter": _named(row["reporter_id"], row["reporter__display_name"]),
        "moderated_by": _named(row["moderated_by_id"], row["moderated_by__display_name"]),
        "moderated_at": _time(row["moderated_at"]), "rejection_reason": row["rejection_reason"],
        "confirmations": row["confirmations_count"], "flagged_terms": row["flagged_terms"],
    }  # fmt: skip


def _followups_of(alert_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    columns = ("alert_id", "id", "kind", "body", "created_at")
    followups = FollowUp.objects.filter(alert_id__in=alert_ids).order_by("created_at", "pk").values_list(*columns)
    for alert_id, pk, kind, body, created in followups:
        found.setdefault(alert_id, []).append({"id": pk, "kind": kind, "body": body, "created_at": _time(created)})
    return found


def _time(value: datetime | None) -> str | None:
    return None if value is None else _TIME.to_representation(value)


def _named(pk: int | None, display_name: str | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "display_name": display_name}


def withheld_view(alert: Alert) -> dict[str, Any]:
    """A report the caller just confirmed but may not read (someone else's, awaiting moderation): which one it is
    and where it stands, nothing of its content (text, place, times). Every key of an alert is there, as null."""
    public = [name for name in AlertSerializer.Meta.fields if name not in MODERATOR_FIELDS]
    return {
        **dict.fromkeys(public), "id": alert.pk, "commune": alert.commune.insee, "kind": alert.kind,
        "category": alert.category, "status": alert.status, "followups": [], "mine": False,
    }  # fmt: skip


def _person(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "display_name": user.display_name}
