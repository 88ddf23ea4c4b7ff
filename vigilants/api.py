"""API conventions shared by every app: pagination, error shapes, the JSON parser, plain JSON answers."""

from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PlacedDateTimeField(serializers.DateTimeField):
    """A time without offset is read in Paris time; one that cannot be placed there (year 1, year 9999 at -14:00)
    is a field error, not a 500."""

    def enforce_timezone(self, value: Any) -> Any:
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class JSONParser(parsers.JSONParser):
    """DRF's parser, except that JSON nested too deep for the decoder is a 400, not a RecursionError (500)."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON invalide : imbrication trop profonde.")) from None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's ValidationError as a 400 instead of a 500."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, Http404):
        response.data = {"detail": exceptions.NotFound.default_detail}
    if response is not None and response.status_code in (status.HTTP_429_TOO_MANY_REQUESTS, status.HTTP_503_SERVICE_UNAVAILABLE):
        wait = getattr(exc, "wait", None)
        response.headers.setdefault("Retry-After", str(int(wait)) if wait else "60")
    return response


def schema_paths_without_slash(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document paths as the contract writes them (`/alerts/{id}`)."""
    result["paths"] = {path.rstrip("/") or "/": item for path, item in result["paths"].items()}
    return result


def plain_json(request: Request) -> bool:
    """Whether the answer is compact JSON (`*/*`, `application/json`): a view may then send bytes it keeps as
    they are, which DRF's JSON renderer would have written the same."""
    return isinstance(request.accepted_renderer, JSONRenderer) and "indent" not in request.accepted_media_type


def rendered_json(body: bytes, status: int = 200) -> Response:
    """DRF's Response with its JSON bytes already there (setting its content marks it rendered): DRF finishes it
    as any other (its Vary and Allow headers), without rendering again. For answers kept as bytes."""
    response = Response(status=status)
    response.content = body
    response["Content-Type"] = JSONRenderer.media_type
    return response
