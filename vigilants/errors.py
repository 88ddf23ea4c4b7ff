from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound

API_PREFIX = "/api/"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Conflit avec l'état actuel.")
    default_code = "conflict"


class ProviderUnavailable(APIException):
    """The SMS or push provider refused for now: the client may retry (Retry-After)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Envoi momentanément impossible, réessayez dans un instant.")
    default_code = "provider_unavailable"

    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__()
        self.wait = max(1, int(retry_after or 30))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Under /api/ a path no view matches is the API's JSON 404, as an unknown object is; pages keep theirs."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Under /api/ the phone app reads JSON even when the server fails."""
    if request.path.startswith(API_PREFIX):
        detail = str(_("Erreur interne du serveur."))
        return JsonResponse({"detail": detail}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)
