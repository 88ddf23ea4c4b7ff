"""The database going away (PostgreSQL restarting, a failover) is a 503 the phone app retries, not a 500.

Django drops a broken connection before the next request (CONN_HEALTH_CHECKS), so the service reconnects
by itself once the database is back; this only says so to the request caught in between.
"""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
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
