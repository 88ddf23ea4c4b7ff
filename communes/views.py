"""Reference list of communes: public, read-only."""

import re
from collections.abc import Sequence
from typing import Any

import django_filters
from django.core.paginator import InvalidPage, Page
from django.db.models import Count, QuerySet, Window
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from vigilants.api import Pagination

from .answers import CachedAnswerMixin
from .models import NAME_RANK, Commune, CommuneQuerySet
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


class OneQueryPagination(Pagination):
    """A search by words: the page and the number of matches in one query (`COUNT(*) OVER ()`), its matches
    read and ranked once where Django's paginator reads them twice (a COUNT, then the page). Not for the other
    lists: read in an index's order, their page stops after its rows, where the window would read them all."""

    def paginate_queryset(
        self, queryset: QuerySet[Any] | Sequence[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        page_size = self.get_page_size(request)
        asked = request.query_params.get(self.page_query_param) or "1"
        ranked = isinstance(queryset, QuerySet) and NAME_RANK in queryset.query.annotations
        # Otherwise (also `last`, or not a number): DRF's way, and its errors.
        if not (ranked and isinstance(queryset, QuerySet) and page_size and asked.isdigit() and int(asked) >= 1):
            return super().paginate_queryset(queryset, request, view)
        number = int(asked)
        rows = list(queryset.annotate(matches=Window(Count("pk")))[(number - 1) * page_size : number * page_size])
        paginator = self.django_paginator_class(queryset, page_size)
        paginator.count = rows[0].matches if rows else queryset.count()
        try:
            paginator.validate_number(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=asked, message=str(exc))) from exc
        self.page = Page(rows, number, paginator)
        self.request = request
        return rows


@extend_schema_view(get=extend_schema(summary="Liste de référence des communes françaises"))
class CommuneList(CachedAnswerMixin, generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CommuneSerializer
    filterset_class = CommuneFilter
    pagination_class = OneQueryPagination
    cached_parameters = frozenset({*CommuneFilter.base_filters, "page", "page_size", "format"})
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
