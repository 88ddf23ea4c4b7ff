"""One GET to a source: short timeouts, a size limit, any failure a SourceError (never another exception)."""

import requests
import urllib3
from django.conf import settings

from .base import SourceError

MAX_BYTES = 8 * 1024 * 1024


def fetch(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise SourceError("URL non http(s)")
    timeout = settings.VIGILANCE_TIMEOUT_SECONDS
    headers = {"User-Agent": f"{settings.BRAND_NAME} vigilance reader (+{settings.PUBLIC_BASE_URL})"}
    try:
        with requests.get(url, timeout=(timeout, timeout), headers=headers, stream=True) as response:
            if response.status_code != 200:
                raise SourceError(f"HTTP {response.status_code}")
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise SourceError(f"réseau : {type(error).__name__}") from None
    except (OSError, urllib3.exceptions.HTTPError) as error:  # cut or timed out while reading the body
        raise SourceError(f"réseau : {type(error).__name__}") from None
    if len(body) > MAX_BYTES:
        raise SourceError("document trop volumineux")
    return body
