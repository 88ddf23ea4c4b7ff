"""What a failed HTTP call to a provider means for the message: never sent, or maybe sent.

Shared by the Twilio and FCM backends, which both speak through `requests`.
"""

from email.utils import parsedate_to_datetime

import requests
from django.utils import timezone
from urllib3.exceptions import ConnectTimeoutError, ProxyError

from .base import Outcome


def network_outcome(error: BaseException) -> Outcome:
    """TRANSIENT when the request cannot have left (no connection), UNKNOWN when it may have.

    A read timeout or a connection dropped mid-exchange may come after the provider accepted the
    message: resending would send it twice, so the caller must not blind-resend those.
    """
    if isinstance(error, requests.ConnectTimeout):
        return Outcome.TRANSIENT
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        if isinstance(reason, ProxyError):  # the proxy itself: did we reach it?
            reason = reason.original_error
        # NewConnectionError and NameResolutionError are ConnectTimeoutErrors in urllib3 2.
        return Outcome.TRANSIENT if isinstance(reason, ConnectTimeoutError) else Outcome.UNKNOWN
    if isinstance(error, requests.Timeout | requests.exceptions.ChunkedEncodingError):
        return Outcome.UNKNOWN
    # Invalid URL, bad proxy, too many redirects...: raised before anything was sent.
    return Outcome.TRANSIENT


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or HTTP date), None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())
