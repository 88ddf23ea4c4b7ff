"""DRF's content negotiation, with the Accept headers the phone app and scripts send answered without parsing.

DRF parses the Accept header and matches each of its media types against each renderer on every request:
about 4 % of a read answered from a cache (bench/herd/README.md). `*/*` (or no header) and `application/json`
are nearly every API request, and their answer is always the same: the first renderer, or the JSON one.
Anything else (the browsable API's `text/html`, parameters, `?format=`) is DRF's to negotiate, as before.
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

_ANY = "*/*"


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str] | Any:
        accept = request.META.get("HTTP_ACCEPT", _ANY)
        renderers = list(renderers)  # a view's list: DRF iterates it more than once too
        if renderers and not format_suffix and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            first = renderers[0]
            # What DRF answers for these two: the first renderer with its own media type, or the one asked for.
            if accept == _ANY or accept == first.media_type:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
