from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException


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
