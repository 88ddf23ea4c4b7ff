from django.utils.translation import gettext as _
from rest_framework import serializers

from .models import Membership, Neighbourhood, Role


class CommuneRefSerializer(serializers.Serializer):
    insee = serializers.CharField()
    name = serializers.CharField()


class MembershipRequestSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=200)
    neighbourhood = serializers.IntegerField(required=False, allow_null=True)

    def validate_neighbourhood(self, value: int | None) -> Neighbourhood | None:
        if value is None:
            return None
        commune = self.context["commune"]
        neighbourhood = Neighbourhood.objects.filter(pk=value, commune=commune).first()
        if neighbourhood is None:
            raise serializers.ValidationError(_("Ce quartier n'appartient pas à cette commune."))
        return neighbourhood


class MyMembershipSerializer(serializers.ModelSerializer):
    commune = CommuneRefSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "commune", "address", "neighbourhood", "role", "status", "rejection_reason", "created_at"]


class MemberSerializer(serializers.ModelSerializer):
    """What moderators see of a member: enough to check residency, not the phone number."""

    display_name = serializers.CharField(source="user.display_name", read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    commune = serializers.CharField(source="commune.insee", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "display_name", "commune", "address", "neighbourhood", "role", "status",
                  "rejection_reason", "created_at", "decided_at"]  # fmt: skip


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class NeighbourhoodCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Neighbourhood
        fields = ["id", "name", "latitude", "longitude", "radius_m"]
        extra_kwargs = {
            "latitude": {"min_value": -90, "max_value": 90},
            "longitude": {"min_value": -180, "max_value": 180},
            "radius_m": {"min_value": 10, "max_value": 50_000},
        }

    def validate(self, attrs: dict) -> dict:
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError(_("Latitude et longitude vont ensemble."))
        return attrs
