"""Reference list of communes: public, read-only."""

import re
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from .answers import CachedAnswerMixin
from .models import Commune, CommuneQuerySet
from .serializers import CommuneDetailSerializer, CommuneSerializer

INSEE = re.compile(r"^[0-9][0-9AB][0-9]{3}$")


class CommuneFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=100,
        label="mots du nom dans n'importe quel ordre (accents, casse et tirets indifférents), code postal ou INSEE, "
              "ou code de département seul",
    )  # fmt: skip
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
class CommuneList(CachedAnswerMixin, generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilter
    queryset = Commune.objects.order_by("insee", "type")

    def build(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)


@extend_schema_view(get=extend_schema(summary="Une commune, avec ses quartiers si elle est inscrite"))
class CommuneDetail(CachedAnswerMixin, generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = CommuneDetailSerializer

    def build(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.retrieve(request, *args, **kwargs)

    def get_object(self) -> Commune:
        # Any last segment reaches this view, so that a malformed code (`6128`) is the API's JSON 404 too.
        insee = self.kwargs["insee"]
        commune = Commune.objects.by_insee(insee) if INSEE.match(insee) else None
        if commune is None:
            raise Http404
        return commune
