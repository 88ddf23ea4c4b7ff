"""Every private name of firebase-admin and google-auth the service touches, and only here.

Only the SDK path (FCM_TRANSPORT=sdk: firebase-admin's public `messaging.send_each`) needs them, to be
pointed at FCM_API_BASE_URL (the fake provider in tests, staging) with our retry policy; the lean path
(fcm_fast) uses none. firebase-admin has no public switch for either:

- `firebase_admin.messaging._get_messaging_service(app)`: the per-app service object that the public
  `messaging.send_each(..., app=app)` uses (created once per app, then cached by the app);
- `_MessagingService.FCM_URL` (class) and `_fcm_url` (instance): the URL `send_each` posts to, formatted once
  in `__init__`; we check the class constant is still the one we replace, so that a new version cannot send to
  Google while we believe we changed it;
- `_MessagingService._client` (its `session`, a public `requests.Session`): where we mount our retry policy;
- google-auth's `Credentials._is_regional_access_boundary_lookup_required()`: after a refresh through
  `before_request`, google-auth may ask iamcredentials.googleapis.com (experimental, opt-in by environment
  variable) for the account's access boundary; pointed at the fake, there is no Google to ask.

providers/tests/test_fcm_sdk_private.py checks each of them, and how it behaves, against VERIFIED_WITH: an
upgrade that moves one fails there, naming it, and here at run time (RuntimeError) rather than silently.
"""

import importlib.metadata
from typing import Any

import firebase_admin
import requests.adapters
from firebase_admin import messaging
from google.auth import credentials as google_credentials
from urllib3.util.retry import Retry

# The versions these accesses were read in and are tested against.
VERIFIED_WITH = {"firebase-admin": "7.7.0", "google-auth": "2.63.0"}
SDK_FCM_URL = "https://fcm.googleapis.com/v1/projects/{0}/messages:send"
POOL_MAXSIZE = 500  # send_each's threads per call

# (where, name) of each private thing used below, for the contract test.
PRIVATE_ACCESSES = (
    ("firebase_admin.messaging", "_get_messaging_service"),
    ("firebase_admin.messaging._MessagingService", "FCM_URL"),
    ("firebase_admin.messaging._MessagingService instance", "_fcm_url"),
    ("firebase_admin.messaging._MessagingService instance", "_client"),
    ("google.auth.credentials.CredentialsWithRegionalAccessBoundary", "_is_regional_access_boundary_lookup_required"),
)


def _moved(where: str, name: str) -> RuntimeError:
    installed = {package: importlib.metadata.version(package) for package in VERIFIED_WITH}
    return RuntimeError(f"{where}.{name} is gone or changed (installed {installed}, verified with {VERIFIED_WITH}):"
                        " firebase_admin moved its FCM URL or client; update providers/fcm_sdk_private.py")


def messaging_service(app: firebase_admin.App) -> Any:
    """The service object `messaging.send_each(..., app=app)` uses."""
    get_service = getattr(messaging, "_get_messaging_service", None)
    if get_service is None:
        raise _moved("firebase_admin.messaging", "_get_messaging_service")
    return get_service(app)


def point_app_at(app: firebase_admin.App, base_url: str, retry: Retry) -> None:
    """Make the public `messaging.send_each(..., app=app)` post to base_url, retrying as `retry` says."""
    project_id = app.project_id
    if not project_id:
        raise ValueError("the service-account file has no project_id")
    point_at(messaging_service(app), base_url, project_id, retry)


def point_at(service: Any, base_url: str, project_id: str, retry: Retry) -> None:
    """`_MessagingService.__init__` formats FCM_URL into `_fcm_url`, which send/send_each/send_each_async read.
    If a new version moves it, fail loudly rather than send to Google."""
    if getattr(type(service), "FCM_URL", None) != SDK_FCM_URL:
        raise _moved("firebase_admin.messaging._MessagingService", "FCM_URL")
    if not hasattr(service, "_fcm_url"):
        raise _moved("firebase_admin.messaging._MessagingService instance", "_fcm_url")
    session = getattr(getattr(service, "_client", None), "session", None)
    if not isinstance(session, requests.Session):
        raise _moved("firebase_admin.messaging._MessagingService instance", "_client")
    service._fcm_url = f"{base_url}/v1/projects/{project_id}/messages:send"
    session.mount(base_url, requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE,
                                                          max_retries=retry))


def skip_google_only_lookups(credential: google_credentials.Credentials) -> None:
    """No regional-access-boundary lookup at Google for credentials used against another FCM_API_BASE_URL.
    Older google-auth versions have no such lookup, hence nothing to skip."""
    if hasattr(credential, "_is_regional_access_boundary_lookup_required"):
        credential._is_regional_access_boundary_lookup_required = lambda: False
