"""The API's content negotiation (vigilants/negotiation.py) answers what DRF's own answers, for every Accept
header, format and renderer list: it only skips the parsing for `*/*` and `application/json`."""

from typing import Any

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, StaticHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from vigilants.negotiation import ContentNegotiation

ACCEPTS = [None, "*/*", "application/json", "text/html", "application/json; indent=4", "text/csv", "image/png",
           "text/html,application/xhtml+xml,*/*;q=0.8", "application/*", ""]  # fmt: skip
RENDERERS = [[JSONRenderer(), BrowsableAPIRenderer()], [BrowsableAPIRenderer(), JSONRenderer()],
             [StaticHTMLRenderer(), JSONRenderer()], [JSONRenderer()]]  # fmt: skip


def chosen(negotiation: Any, request: Request, renderers: list[Any], suffix: str | None) -> Any:
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Http404:  # no renderer for that format
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("renderers", RENDERERS, ids=lambda r: "+".join(type(x).__name__ for x in r))
@pytest.mark.parametrize(("query", "suffix"), [("", None), ("?format=json", None), ("?format=api", None), ("", "json")])
def test_the_same_renderer_and_media_type_as_drf(accept: str | None, renderers: list[Any], query: str,
                                                 suffix: str | None) -> None:  # fmt: skip
    headers: dict[str, Any] = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/me{query}", **headers))
    ours = chosen(ContentNegotiation(), request, renderers, suffix)
    assert ours == chosen(DefaultContentNegotiation(), request, renderers, suffix)
