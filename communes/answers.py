"""The public commune answers, kept rendered in the cache until the communes change, with HTTP validators.

Communes are reference data, the same for everyone, that change only on an import, an enrolment or a new
quartier. Each JSON answer is kept under its URL along with the version of the data it was built from;
any change gives the data a new version, so the next request builds its answer again. The version is also
the answer's Last-Modified and part of its ETag: a revalidation (If-None-Match) costs one cache read.

While Redis does not answer, each process keeps answers and versions in its own memory (vigilants/cache.py):
a change made through another process is then seen within ENTRY_SECONDS.
"""

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.read_first import NOTHING, ReadFirst, ReadsFirst
from vigilants import riders
from vigilants.api import rendered_json

VERSION_KEY = "communes:version"
# The longest a change that sends no signal (a queryset's update()) may go unseen.
ENTRY_SECONDS = 600
# How long phones and shared caches may reuse an answer without asking: an enrolment shows within a minute.
MAX_AGE_SECONDS = 60


def _bump() -> None:
    cache.set(VERSION_KEY, time.time_ns() // 1000, None)


def data_changed() -> None:
    """At once, so that the writing transaction's own reads see it, and again at commit: an answer built
    by another request from the old rows in between is not kept."""
    _bump()
    transaction.on_commit(_bump)


def on_model_change(sender: type, **kwargs: Any) -> None:
    data_changed()


def _current(found: dict[str, Any]) -> int:
    version = found.get(VERSION_KEY)
    if isinstance(version, int):
        return version
    # Never set, or evicted: a new version, since the answers kept may predate a change.
    cache.add(VERSION_KEY, time.time_ns() // 1000, None)
    stored = cache.get(VERSION_KEY)
    return stored if isinstance(stored, int) else time.time_ns() // 1000


@dataclass(frozen=True)
class Lookup:
    key: str
    version: int
    body: bytes | None

    @property
    def etag(self) -> str:
        return f'"{self.version:x}-{self.key[-12:]}"'

    @property
    def last_modified(self) -> int:
        return self.version // 1_000_000

    def keep(self, body: bytes) -> None:
        cache.set(self.key, (self.version, body), ENTRY_SECONDS)

    def headers(self, response: Response) -> Response:
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.last_modified)
        patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
        return response


def _answer_key(request: HttpRequest) -> str:
    # The whole URL: the answer's page links carry the host, scheme and query string as the client wrote them.
    return "communes:answer:" + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]


def lookup(request: HttpRequest) -> Lookup:
    """The answer kept for this URL and the communes' version: read in the request's first round trip to Redis
    when the view asked it (CachedAnswerMixin.initial), else in one of their own."""
    key = _answer_key(request)
    found = riders.values(request, [VERSION_KEY, key])
    version = _current(found)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return Lookup(key, version, entry[1])
    return Lookup(key, version, None)


class CachedAnswerMixin(ReadsFirst, APIView):
    """GET answers in JSON come from the cache; a view builds its answer in `build`."""

    # Only URLs made of these parameters are kept: any other (ignored) one would give each request an
    # entry of its own, and a client could fill Redis by varying it.
    cached_parameters: frozenset[str] = frozenset({"format"})

    def build(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise NotImplementedError

    def read_first(self, request: Request, **kwargs: Any) -> ReadFirst:
        # Read with the throttle's count (vigilants.riders).
        mine = ReadFirst((VERSION_KEY, _answer_key(request))) if self._cacheable(request) else NOTHING
        return super().read_first(request, **kwargs) + mine

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # HEAD, and the browsable API, are built each time.
        if request.method != "GET" or request.accepted_renderer.format != "json" or not self._cacheable(request):
            return self.build(request, *args, **kwargs)
        found = lookup(request)
        conditional = get_conditional_response(request, etag=found.etag, last_modified=found.last_modified)
        if conditional is not None:  # 304 Not Modified, or 412 for a failed If-Match
            return found.headers(rendered_json(b"", conditional.status_code))
        if found.body is not None:
            return found.headers(rendered_json(found.body))
        self._to_keep = found
        return self.build(request, *args, **kwargs)

    def _cacheable(self, request: Request) -> bool:
        return all(name in self.cached_parameters for name in request.query_params)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        found: Lookup | None = self.__dict__.pop("_to_keep", None)
        if found is not None and response.status_code == 200 and not response.is_rendered:
            response.render()
            found.keep(response.content)
            found.headers(response)
        return response
