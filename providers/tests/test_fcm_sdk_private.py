"""The contract of providers/fcm_sdk_private.py: each private name of firebase-admin and google-auth it uses is
still there, and still does what we use it for, in the installed versions. A failure names what moved."""

import importlib
import importlib.metadata

import pytest
import requests
import requests.adapters
from firebase_admin import messaging
from google.auth import credentials as google_credentials
from google.auth.transport.requests import Request

from providers import fcm_push, fcm_sdk_private
from providers.base import Outcome, PushMessage

PROJECT = "vigilants-fake"
SEND_PATH = f"/v1/projects/{PROJECT}/messages:send"
RAB_SWITCH = "GOOGLE_SDK_EXPERIMENTAL_PYTHON_REGIONAL_ACCESS_BOUNDARY_LOOKUP_ENABLED"


def app_for(settings):
    return fcm_push.firebase_app(settings.FIREBASE_CREDENTIALS, settings.FCM_API_BASE_URL)


def message(token: str = "tok-1") -> messaging.Message:  # noqa: S107 (a fake token)
    return fcm_push.build_message(PushMessage("d-1", token, "Cambriolage", "Rue des Remparts", {"alert": "42"},
                                              "alert-42"))


@pytest.mark.parametrize("package", sorted(fcm_sdk_private.VERIFIED_WITH))
def test_the_installed_versions_are_those_the_private_accesses_were_verified_with(package):
    installed, verified = importlib.metadata.version(package), fcm_sdk_private.VERIFIED_WITH[package]
    assert installed == verified, (
        f"{package} {installed} is installed, providers/fcm_sdk_private.py was verified with {verified}: read its "
        f"private accesses ({', '.join(name for _, name in fcm_sdk_private.PRIVATE_ACCESSES)}) in {package} "
        f"{installed}, run this file's tests, then update VERIFIED_WITH")


@pytest.mark.parametrize(("where", "name"), fcm_sdk_private.PRIVATE_ACCESSES)
def test_each_private_name_is_still_there(fcm_settings, where, name):
    if where.endswith(" instance"):
        owner = fcm_sdk_private.messaging_service(app_for(fcm_settings))
    elif where == "google.auth.credentials.CredentialsWithRegionalAccessBoundary":
        owner = app_for(fcm_settings).credential.get_credential()
        assert isinstance(owner, google_credentials.CredentialsWithRegionalAccessBoundary), f"{where} is gone"
    else:
        module, _, attribute = where.partition(".messaging")
        owner = importlib.import_module(module + ".messaging")
        owner = getattr(owner, attribute.lstrip(".")) if attribute else owner
    assert hasattr(owner, name), f"{where}.{name} is gone: update providers/fcm_sdk_private.py"


def test_get_messaging_service_is_the_service_the_public_send_each_uses(fcm_settings, fake_provider, monkeypatch):
    app = app_for(fcm_settings)
    service = fcm_sdk_private.messaging_service(app)
    assert service is fcm_sdk_private.messaging_service(app)  # one per app, kept by the app
    used = []
    monkeypatch.setattr(type(service), "send_each", lambda self, messages, dry_run=False: used.append(self))

    messaging.send_each([message()], app=app)

    assert used == [service], "messaging.send_each(app=app) no longer uses _get_messaging_service(app)"


def test_the_sdk_still_keeps_the_fcm_url_where_we_override_it(fcm_settings, fake_provider):
    """If this fails, firebase-admin moved its FCM URL: pushes would go to Google, not FCM_API_BASE_URL."""
    assert messaging._MessagingService.FCM_URL == fcm_sdk_private.SDK_FCM_URL
    service = fcm_sdk_private.messaging_service(app_for(fcm_settings))
    assert service._fcm_url == f"{fake_provider.url}{SEND_PATH}"

    (result,) = fcm_push.FcmPushBackend().send_batch([PushMessage("d-1", "tok-1", "T", "B")])

    assert result.outcome == Outcome.SENT
    assert [r.path for r in fake_provider.requests if r.path != "/token"] == [SEND_PATH]  # read by send_each


def test_it_fails_loudly_if_the_sdk_moves_the_url(monkeypatch):
    monkeypatch.setattr(messaging._MessagingService, "FCM_URL", "https://fcm.googleapis.com/v2/{0}:send")

    with pytest.raises(RuntimeError, match="moved its FCM URL"):
        fcm_sdk_private.point_at(object.__new__(messaging._MessagingService), "http://127.0.0.1:1", PROJECT,
                                 fcm_push.RETRY)


def test_it_fails_loudly_if_the_sdk_moves_its_client(fcm_settings, monkeypatch):
    service = fcm_sdk_private.messaging_service(app_for(fcm_settings))
    monkeypatch.delattr(service, "_client")

    with pytest.raises(RuntimeError, match="_client"):
        fcm_sdk_private.point_at(service, "http://127.0.0.1:1", PROJECT, fcm_push.RETRY)


def test_the_client_session_is_what_send_each_posts_through_with_our_retry_policy(fcm_settings, fake_provider):
    service = fcm_sdk_private.messaging_service(app_for(fcm_settings))
    assert isinstance(service._client.session, requests.Session)
    adapter = service._client.session.get_adapter(fake_provider.url)
    assert isinstance(adapter, requests.adapters.HTTPAdapter)
    assert adapter.max_retries is fcm_push.RETRY
    messaging.send_each([message()], app=app_for(fcm_settings))  # the token first
    fake_provider.reset()
    fake_provider.fail(503, service="fcm", count=1)

    batch = messaging.send_each([message()], app=app_for(fcm_settings))

    assert batch.success_count == 1
    assert len([r for r in fake_provider.requests if r.path == SEND_PATH]) == 2  # one quick retry, ours


def test_google_auth_still_asks_the_method_we_override_before_a_lookup(fcm_settings, monkeypatch):
    """The regional-access-boundary lookup runs only when this method says so: overriding it skips the lookup."""
    monkeypatch.setenv(RAB_SWITCH, "true")
    credential = fcm_push.firebase_app(fcm_settings.FIREBASE_CREDENTIALS, fcm_settings.FCM_API_BASE_URL) \
        .credential.get_credential()
    assert credential._is_regional_access_boundary_lookup_required() is False  # skipped for the fake
    asked = []

    def lookup_required() -> bool:
        asked.append(1)
        return False

    monkeypatch.setattr(credential, "_is_regional_access_boundary_lookup_required", lookup_required)
    credential.token = None

    credential.before_request(Request(), "POST", f"{fcm_settings.FCM_API_BASE_URL}{SEND_PATH}", {})

    assert asked == [1], "google-auth no longer consults _is_regional_access_boundary_lookup_required"
    monkeypatch.undo()
    monkeypatch.setenv(RAB_SWITCH, "true")
    fresh = type(credential).from_service_account_file(fcm_settings.FIREBASE_CREDENTIALS)
    assert fresh._is_regional_access_boundary_lookup_required() is True  # what we turn off, when switched on
