"""Reference list of communes: public, read-only."""

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from .models import Commune, CommuneQuerySet
from .serializers import CommuneDetailSerializer, CommuneSerializer


class CommuneFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="nom (accents, casse et tirets indifférents)")
    postal_code = django_filters.CharFilter(method="filter_postal_code", label="code postal")
    departement = django_filters.CharFilter(field_name="departement", label="code du département")
    enrolled = django_filters.BooleanFilter()
    type = django_filters.ChoiceFilter(choices=Commune._meta.get_field("type").choices)

    class Meta:
        model = Commune
        fields = ["search", "postal_code", "departement", "enrolled", "type"]

    def filter_search(self, queryset: CommuneQuerySet, name: str, value: str) -> CommuneQuerySet:
        return queryset.search(value)

    def filter_postal_code(self, queryset: QuerySet[Commune], name: str, value: str) -> QuerySet[Commune]:
        value = value.strip()
        if not (len(value) == 5 and value.isdigit()):
            raise serializers.ValidationError({"postal_code": [_("Un code postal a 5 chiffres.")]})
        # Codes are 5-digit tokens separated by spaces, so a 5-digit substring is always a whole code.
        return queryset.filter(postal_codes__contains=value)


@extend_schema_view(get=extend_schema(summary="Liste de référence des communes françaises"))
class CommuneList(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilter
    queryset = Commune.objects.order_by("insee", "type")


@extend_schema_view(get=extend_schema(summary="Une commune, avec ses quartiers si elle est inscrite"))
class CommuneDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = CommuneDetailSerializer

    def get_object(self) -> Commune:
        commune = Commune.objects.by_insee(self.kwargs["insee"])
        if commune is None:
            raise Http404
        return commune
