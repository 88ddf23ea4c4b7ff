"""Two middleware chains: the phone app's API requests through a short one (settings.API_MIDDLEWARE), every
other request (pages, the admin, the dashboards, a browser's API calls with its session) through the whole one.

The whole chain serves pages: sessions and their expiry, CSRF, messages, the admin's second factor, the staff
sign-in's lockout, a Content-Security-Policy built for each page. None of it applies to a request signed with a
device token or anonymous, without a session cookie: it only cost each API request a quarter of what the
service's cheapest request costs (measured in bench/herd/README.md). Such requests keep every guard that
concerns them: HTTPS and its headers, conditional answers, the size limit, the language, no caching of what is
personal, the 503 while the database is away, and a Content-Security-Policy that allows nothing
(vigilants/middleware.py).

Both gunicorn (vigilants/wsgi.py) and the test client (the root conftest) choose the chain here, so that the
test suite exercises what production serves.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase

API_PREFIX = "/api/"
# An HTML page under /api/: Swagger UI needs the pages' Content-Security-Policy (its scripts are files of ours).
PAGES_UNDER_API = ("/api/v1/docs",)


def takes_api_chain(request: HttpRequest) -> bool:
    """An API request without a session: a phone, a script, Twilio's webhooks, anyone anonymous."""
    path = request.path_info
    return (
        path.startswith(API_PREFIX)
        and not path.startswith(PAGES_UNDER_API)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


class ApiChain(BaseHandler):
    """A handler whose middleware is settings.API_MIDDLEWARE."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds a handler's chain from settings.MIDDLEWARE and takes no other list: the API's list
        # stands in for it while this handler loads (once per process, before it serves anything).
        whole = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = whole


class ChainChoice(BaseHandler):
    """Serves API requests without a session through an ApiChain, loaded once per handler."""

    _api_chain: ApiChain | None = None

    def api_chain(self) -> ApiChain:
        if self._api_chain is None:
            chain = ApiChain()
            chain.load_middleware()
            self._api_chain = chain
        return self._api_chain

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        if takes_api_chain(request):
            return self.api_chain().get_response(request)
        return super().get_response(request)


class ServiceWSGIHandler(ChainChoice, WSGIHandler):
    """The service's WSGI application: both chains loaded at start, so that a misconfigured one stops it."""

    def __init__(self) -> None:
        super().__init__()
        self.api_chain()
