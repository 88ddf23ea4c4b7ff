"""Following a commune: what the app sends (choices) and reads back (a follow)."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from .follow import FOLLOW_CHANNELS
from .membership_serializers import CommuneRefSerializer
from .models import Follow, Neighbourhood

# Ids are bigints: a larger number must be a 400 here, not a database error on the lookup.
_BIGINT_MAX = 2**63 - 1


class FollowRequestSerializer(serializers.Serializer):
    """POST /communes/{insee}/follow: each field left out keeps what the follow had (new: all of it)."""

    neighbourhoods = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=_BIGINT_MAX), required=False, max_length=200,
        help_text="ids des quartiers de la commune ; vide : toute la commune",
    )  # fmt: skip
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=FOLLOW_CHANNELS), required=False, max_length=len(FOLLOW_CHANNELS) * 2,
        help_text="« push », « sms », « voice » ; vide : les préférences de la personne",
    )  # fmt: skip

    def validate_neighbourhoods(self, value: list[int]) -> list[Neighbourhood]:
        wanted = set(value)
        found = list(Neighbourhood.objects.filter(commune=self.context["commune"], pk__in=wanted))
        if len(found) != len(wanted):
            raise serializers.ValidationError(_("Ce quartier n'appartient pas à cette commune."))
        return found

    def validate_channels(self, value: list[str]) -> list[str]:
        return [c for c in FOLLOW_CHANNELS if c in value]


class FollowNeighbourhoodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Neighbourhood
        fields = ["id", "name"]


class FollowSerializer(serializers.ModelSerializer):
    commune = CommuneRefSerializer(read_only=True)
    neighbourhoods = FollowNeighbourhoodSerializer(many=True, read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Follow
        fields = ["commune", "neighbourhoods", "channels", "created_at", "stopped_at", "active"]

    def get_active(self, follow: Follow) -> bool:
        return follow.stopped_at is None
