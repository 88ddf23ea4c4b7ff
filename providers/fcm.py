"""PUSH_BACKEND=fcm: FCM_TRANSPORT picks the client (one module above the three, so that none imports another's
choice)."""

from django.conf import settings

from .base import PushBackend
from .fcm_curl import CurlFcmPushBackend
from .fcm_fast import FastFcmPushBackend
from .fcm_push import FcmPushBackend

TRANSPORTS: dict[str, type[PushBackend]] = {"curl": CurlFcmPushBackend, "fast": FastFcmPushBackend, "sdk": FcmPushBackend}


def fcm_backend() -> PushBackend:
    """curl: libcurl's multi interface (fcm_curl, the default); fast: urllib3 and threads (fcm_fast); sdk:
    firebase-admin's send_each (fcm_push)."""
    transport = settings.FCM_TRANSPORT
    if transport not in TRANSPORTS:
        raise ValueError(f"FCM_TRANSPORT must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
    return TRANSPORTS[transport]()
