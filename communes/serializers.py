from rest_framework import serializers

from .models import Commune, Neighbourhood


class NeighbourhoodSerializer(serializers.ModelSerializer):
    class Meta:
        model = Neighbourhood
        fields = ["id", "name", "latitude", "longitude", "radius_m"]


class CommuneSerializer(serializers.ModelSerializer):
    postal_codes = serializers.ListField(source="postal_code_list", child=serializers.CharField(), read_only=True)

    class Meta:
        model = Commune
        fields = [
            "insee", "name", "type", "departement", "departement_name", "region", "postal_codes",
            "population", "latitude", "longitude", "enrolled",
        ]  # fmt: skip


class CommuneDetailSerializer(CommuneSerializer):
    neighbourhoods = serializers.SerializerMethodField()
    bbox = serializers.SerializerMethodField()

    class Meta(CommuneSerializer.Meta):
        fields = [*CommuneSerializer.Meta.fields, "epci_name", "bbox", "neighbourhoods"]

    def get_neighbourhoods(self, commune: Commune) -> list[dict]:
        if not commune.enrolled:
            return []
        # many=True makes a ListSerializer, whose data is a list; the stubs type it as the child's dict.
        return NeighbourhoodSerializer(commune.neighbourhoods.all(), many=True).data  # type: ignore[return-value]

    def get_bbox(self, commune: Commune) -> dict[str, float | None]:
        return {
            "south": commune.bbox_south, "west": commune.bbox_west,
            "north": commune.bbox_north, "east": commune.bbox_east,
        }  # fmt: skip
