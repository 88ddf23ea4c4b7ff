"""Statistics API: a commune's figures, and the export. Thin: validate, authorize, hand off to a service."""

import json
from typing import Any

from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from accounts.authentication import signed_in
from accounts.read_first import ReadFirst
from communes import access
from communes.models import Commune
from communes.views_base import CommuneScopedMixin
from vigilants.api import plain_json

from . import aggregates, cache, exporting
from .periods import DateRange, Granularity
from .serializers import CommuneStatsQuery, ExportQuery
from .services import commune_statistics

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class CommuneStatisticsView(CommuneScopedMixin, APIView):
    """GET /stats/communes/{insee}: for its mayors and referents, the gendarmes of its area, staff."""

    commune_access = "stats"
    kept_commune = True  # a dashboard reloading reads its figures from their cache: the commune too

    def read_first(self, request: Request, **kwargs: Any) -> ReadFirst:
        # A mayor's or referent's right, read with the token (communes.access.moderated_by_insee).
        return super().read_first(request, **kwargs) + ReadFirst(question=access.moderated_by_insee(kwargs["insee"]))

    @extend_schema(parameters=[CommuneStatsQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, insee: str) -> HttpResponseBase:
        commune = self.get_commune()  # 404 / 403 before looking at the parameters
        query = CommuneStatsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        granularity = Granularity(query.validated_data["granularity"])
        body = statistics_body(commune, query.validated_data["range"], granularity)
        if plain_json(request):  # the usual case: the stored bytes as they are, nothing parsed or rendered again
            return HttpResponse(body, content_type=JSONRenderer.media_type)
        return Response(json.loads(body))  # the browsable API, an indented JSON: DRF renders


def statistics_body(commune: Commune, date_range: DateRange, granularity: Granularity) -> bytes:
    """The answer as JSON bytes, from the statistics' cache (stats/cache.py) or computed and stored there."""

    def compute() -> tuple[bytes, bool]:
        settled = not aggregates.deliveries_in_flight(commune, date_range)  # before the figures: see cache.py
        return JSONRenderer().render(commune_statistics(commune, date_range, granularity)), settled

    return cache.cached(commune, date_range, granularity, compute)


class ExportView(APIView):
    """GET /stats/export: streams CSV, XLSX or JSON; audited before the first byte leaves."""

    throttle_scope = "export"

    def get_throttles(self) -> list[BaseThrottle]:
        # The API's own rates, plus one for exports (THROTTLE_EXPORT): each reads a whole area and is audited.
        return [*super().get_throttles(), ScopedRateThrottle()]

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[BaseRenderer, str]:
        # `?format=csv` is ours, not DRF's URL_FORMAT_OVERRIDE (which would answer 404): errors are JSON,
        # the export itself is a plain Django response that bypasses the renderers.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(parameters=[ExportQuery], responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request: Request) -> HttpResponseBase:
        query = ExportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data: dict[str, Any] = query.validated_data
        user = signed_in(request)
        scope = exporting.export_scope(user, departement=data.get("departement"), insee_codes=data.get("communes", []),
                                       epci=data.get("epci"))  # fmt: skip
        export = exporting.prepare_export(scope, data["range"], data.get("categories", []))
        exporting.record_export(user, export, data["format"])
        return _response(export, data["format"])


def _response(export: exporting.Export, fmt: str) -> HttpResponseBase:
    name = f"vigilants-statistiques-{export.date_range.start}-{export.date_range.end}.{fmt}"
    if fmt == "xlsx":
        response: HttpResponseBase = FileResponse(exporting.xlsx_file(export.rows()), as_attachment=True,
                                                  filename=name, content_type=CONTENT_TYPES[fmt])  # fmt: skip
    else:
        chunks = exporting.csv_chunks(export.rows()) if fmt == "csv" else exporting.json_chunks(export.rows())
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Rows"] = str(export.row_count)
    return response
