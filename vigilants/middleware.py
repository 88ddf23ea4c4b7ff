"""Answers every request gets whatever its view: a 503 while the database is away, a 413 for a body too
large, no caching of what a signed-in person is shown.

The database going away (PostgreSQL restarting, a failover) is a 503 the phone app retries, not a 500.

Django drops a broken connection before the next request (CONN_HEALTH_CHECKS), so the service reconnects
by itself once the database is back; this only says so to the request caught in between.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable during %s %s (%s)", request.method, request.path, type(exception).__name__)
        response = JsonResponse({"detail": _("Service momentanément indisponible, réessayez dans quelques secondes.")},
                                status=503)  # fmt: skip
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def too_large_response() -> JsonResponse:
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
    return JsonResponse(
        {"detail": _("Requête trop volumineuse (au plus %(size).1f Mo).") % {"size": limit_mb}}, status=413
    )


class RequestSizeLimitMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before anything reads it: 413 with a JSON detail.

    Django checks the limit only when `request.body` or `request.POST` is read, and answers a bare 400 page;
    DRF's parsers read the stream and never check it at all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = request.META.get("CONTENT_LENGTH") or ""
        if limit is not None and length.isdigit() and int(length) > limit:
            return too_large_response()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return too_large_response() if isinstance(exception, RequestDataTooBig) else None


class PrivateResponsesMiddleware:
    """What a signed-in person is answered is theirs: no shared or browser cache keeps it (`no-store`).

    Signed in means a token or a session cookie is sent; read from the request, not from the database,
    so that anonymous reference data (communes) stays cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view (or the static files) that chose its caching keeps it: they serve no one's own data.
        if response.has_header("Cache-Control"):
            return response
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ("Authorization", "Cookie"))
        return response


class ApiLocaleMiddleware:
    """Django's LocaleMiddleware for the API's chain: the language a request asks for (its cookie, then
    Accept-Language; French by default), and the answer saying which it got and that it varies with it.

    Django's also looks for a language at the start of the path, twice a request, for URLs under i18n_patterns;
    the API has none (tests/test_middleware_chains.py checks that both answer the same).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        translation.activate(self.asked_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response

    @staticmethod
    def asked_language(request: HttpRequest) -> str:
        # Without a header or a cookie (most scripts, many phones), Django ends at the default language after
        # two failed lookups and a parse of nothing: answered at once.
        if not request.META.get("HTTP_ACCEPT_LANGUAGE") and not request.META.get("HTTP_COOKIE"):
            return translation.get_supported_language_variant(settings.LANGUAGE_CODE)
        return translation.get_language_from_request(request, check_path=False)


API_CONTENT_POLICY = "default-src 'none'; frame-ancestors 'none'"


class ApiContentPolicyMiddleware:
    """An API answer is data, never a page: a Content-Security-Policy that lets it load and frame nothing.

    The pages' policy (django-csp) is built for each response from the settings and the view's changes; an
    API answer needs none of that, and the constant costs nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", API_CONTENT_POLICY)
        return response
