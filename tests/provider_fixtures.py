"""Fixtures for every test that talks to a provider: the fake provider in a thread (one per test session),
and settings pointing the SDKs at it. Loaded for the whole suite by the root conftest (pytest_plugins)."""

import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, write_service_account
from providers.base import reset_backends

PUBLIC_BASE_URL = "https://vigilants.example.fr"
TWILIO_FROM = "+33700000001"


@pytest.fixture(scope="session")
def fake_provider_server() -> Iterator[FakeProvider]:
    fake = FakeProvider(port=0)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_provider(fake_provider_server: FakeProvider) -> Iterator[FakeProvider]:
    """The running fake, with no recorded requests, faults or changed settings."""
    fake_provider_server.reset()
    yield fake_provider_server
    fake_provider_server.reset()


@pytest.fixture(scope="session")
def service_account_file(fake_provider_server: FakeProvider, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_service_account(tmp_path_factory.mktemp("fcm") / "service-account.json", fake_provider_server.url)


@pytest.fixture
def twilio_settings(settings: SettingsWrapper, fake_provider: FakeProvider) -> Iterator[SettingsWrapper]:
    settings.SMS_BACKEND = settings.SMS_BACKENDS["twilio"]
    settings.TWILIO_ACCOUNT_SID = FAKE_ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = FAKE_AUTH_TOKEN
    settings.TWILIO_FROM = TWILIO_FROM
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake_provider.url
    # The production default: a short one fails under a loaded machine; the tests about timeouts set theirs.
    settings.TWILIO_TIMEOUT_SECONDS = 10.0
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    fake_provider.configure(callbacks=False)  # PUBLIC_BASE_URL answers nothing; callback_receiver turns them on
    reset_backends()
    yield settings
    reset_backends()


@pytest.fixture
def fcm_settings(
    settings: SettingsWrapper, fake_provider: FakeProvider, service_account_file: Path
) -> Iterator[SettingsWrapper]:
    settings.PUSH_BACKEND = settings.PUSH_BACKENDS["fcm"]
    settings.FIREBASE_CREDENTIALS = str(service_account_file)
    settings.FCM_API_BASE_URL = fake_provider.url
    # The production default. The SDK path's send_each runs up to 500 threads in the test process, beside the
    # fake: on a loaded 2-core machine an answer can take longer than a short timeout, and a push that times
    # out is "unknown", which is not what those tests are about. The test about timeouts sets a short one.
    settings.FCM_TIMEOUT_SECONDS = 10.0
    reset_backends()
    yield settings
    reset_backends()


class CallbackReceiver:
    """A stand-in for our webhook endpoint: records what the fake posts to it, answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], dict[str, str]]] = []  # (path?query, form, headers)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                receiver.received.append((self.path, dict(urllib.parse.parse_qsl(body)), dict(self.headers.items())))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, dict[str, str], dict[str, str]]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.received)


@pytest.fixture
def callback_receiver(twilio_settings: SettingsWrapper, fake_provider: FakeProvider) -> Iterator[CallbackReceiver]:
    """PUBLIC_BASE_URL points here, so the status callbacks the fake sends come here."""
    receiver = CallbackReceiver()
    twilio_settings.PUBLIC_BASE_URL = receiver.url
    fake_provider.configure(callbacks=True)
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
