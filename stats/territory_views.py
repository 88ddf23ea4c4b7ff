"""GET /stats/territories/{kind}/{code}: a territory's figures. Thin: find, authorize, validate, hand off."""

import json

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in
from accounts.models import User
from communes.territories import Territory, find_territory
from vigilants.api import plain_json

from . import cache
from .periods import DateRange
from .serializers import RangeQuery
from .territory_access import reads_territory
from .territory_stats import as_of, enrolled_communes, territory_statistics, warnings_in_flight


def readable_territory(user: User, kind: str, code: str) -> Territory:
    """The territory, or 404 (unknown kind or code) / 403 (not the user's), before any parameter is read."""
    territory = find_territory(kind, code)
    if territory is None:
        raise Http404(_("Territoire inconnu."))
    if not reads_territory(user, kind, code):
        raise PermissionDenied(_("Réservé aux opérateurs de ce territoire, à sa gendarmerie et à l’équipe du service."))
    return territory


def territory_body(territory: Territory, date_range: DateRange) -> bytes:
    """The answer as JSON bytes, from the statistics' cache (stats/cache.py) or computed and stored there."""
    communes = enrolled_communes(territory)
    ids = [c.pk for c in communes]

    def compute() -> tuple[bytes, bool]:
        settled = not warnings_in_flight(ids, date_range)  # before the figures: see cache.py
        return JSONRenderer().render(territory_statistics(territory, date_range, communes)), settled

    key = f"{territory.slug}|{territory.name}|{date_range.start}|{date_range.end}|{as_of(communes)}"
    return cache.cached_over(key, ids, compute)


def territory_figures(territory: Territory, date_range: DateRange) -> dict:
    """The same, as a dict (the desk's page)."""
    return json.loads(territory_body(territory, date_range))


class TerritoryStatisticsView(APIView):
    """Its operators, the gendarmes whose area covers it, staff; others 403, unknown 404, anonymous 401."""

    @extend_schema(parameters=[RangeQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, kind: str, code: str) -> HttpResponseBase:
        territory = readable_territory(signed_in(request), kind, code)
        query = RangeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        body = territory_body(territory, query.validated_data["range"])
        if plain_json(request):
            return HttpResponse(body, content_type=JSONRenderer.media_type)
        return Response(json.loads(body))
