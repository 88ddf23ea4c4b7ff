"""The FCM backends (the lean path and firebase-admin's send_each) against the fake provider: what goes on the wire."""

import json
import socket
import threading

import pytest

from fakeprovider import write_service_account
from providers import fcm_curl, fcm_push, fcm_wire
from providers.base import Outcome, PushMessage, get_push_backend, reset_backends, send_stream
from providers.checks import check_providers
from providers.fcm_fast import AHEAD, service_account_credentials

PROJECT = "vigilants-fake"
SEND_PATH = f"/v1/projects/{PROJECT}/messages:send"


@pytest.fixture(params=["curl", "curl-h2c", "fast", "sdk"], autouse=True)
def fcm_path(request: pytest.FixtureRequest, settings) -> str:
    """Every test against every path: libcurl over HTTP/1.1 (FCM_TRANSPORT=curl) and over HTTP/2 (FCM_HTTP2, h2c
    on the loopback fake), urllib3 and threads (fast), firebase-admin's send_each (sdk)."""
    if "fcm_settings" in request.fixturenames:
        request.getfixturevalue("fcm_settings")
        settings.FCM_TRANSPORT = request.param.removesuffix("-h2c")
        settings.FCM_HTTP2 = request.param.endswith("-h2c")
        # Credentials live as long as the process (the firebase app, the lean path's): each test starts without
        # an access token.
        app = fcm_push.firebase_app(settings.FIREBASE_CREDENTIALS, settings.FCM_API_BASE_URL)
        app.credential.get_credential().token = None
        service_account_credentials(settings.FIREBASE_CREDENTIALS).token = None
        reset_backends()
    return request.param


def push(token: str = "tok-1", **overrides: object) -> PushMessage:  # noqa: S107 (a fake token)
    fields = {"key": "d-1", "token": token, "title": "Cambriolage", "body": "Rue des Remparts",
              "data": {"alert": "42"}, "collapse_key": "alert-42", "urgent": False}
    fields.update(overrides)
    return PushMessage(**fields)  # type: ignore[arg-type]


def send(*messages: PushMessage) -> list:
    """Through send_stream, as the sender calls it, one message per chunk: every chunk boundary is crossed."""
    return send_stream(get_push_backend(), ([m] for m in messages))


def test_it_sends_http_v1_json_with_a_token_from_the_token_endpoint(fcm_settings, fake_provider):
    (result,) = send(push())

    token_request, send_request = fake_provider.requests
    assert token_request.path == "/token"
    assert token_request.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert send_request.path == SEND_PATH
    assert send_request.headers["authorization"].removeprefix("Bearer ") in fake_provider.issued_tokens
    assert send_request.json == {"message": {
        "token": "tok-1",
        "notification": {"title": "Cambriolage", "body": "Rue des Remparts"},
        "data": {"alert": "42"},
        # One tag per platform: a copy sent again replaces the shown notification instead of adding one.
        "android": {"collapse_key": "alert-42", "priority": "normal", "notification": {"tag": "alert-42"}},
        "apns": {"headers": {"apns-priority": "5", "apns-collapse-id": "alert-42"}},
        "webpush": {"headers": {"Urgency": "normal", "Topic": "alert-42"}, "notification": {"tag": "alert-42"}},
    }}
    assert result.outcome == Outcome.SENT
    assert result.provider_id.startswith(f"projects/{PROJECT}/messages/")


def test_it_sends_urgent_pushes_at_high_priority(fcm_settings, fake_provider):
    send(push(urgent=True))

    (message,) = fake_provider.pushes()
    assert message["android"]["priority"] == "high"
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["webpush"]["headers"]["Urgency"] == "high"


@pytest.mark.parametrize("overrides", [
    {}, {"urgent": True}, {"collapse_key": ""}, {"data": {}}, {"title": "", "body": ""},
    {"collapse_key": "alerte: Saint-Paul-de-Vence / cambriolage rue des Remparts, n° 42" * 2},
])
def test_both_paths_send_the_documented_message(fcm_settings, fake_provider, overrides):
    """The lean path writes the message itself (fcm_wire), the SDK path through firebase-admin: the same JSON."""
    message = push(**overrides)

    (result,) = send(message)

    assert result.outcome == Outcome.SENT
    assert fake_provider.pushes() == [fcm_wire.encode(message)]


def test_it_asks_for_a_token_once_for_many_messages(fcm_settings, fake_provider):
    results = send(*[push(f"tok-{i}", key=f"d-{i}") for i in range(20)])

    assert [r.key for r in results] == [f"d-{i}" for i in range(20)]
    assert all(r.outcome == Outcome.SENT for r in results)
    assert sorted(m["token"] for m in fake_provider.pushes()) == sorted(f"tok-{i}" for i in range(20))
    assert [r.path for r in fake_provider.requests].count("/token") <= 1


def test_it_splits_batches_of_more_than_500(fcm_settings, fake_provider):
    results = get_push_backend().send_batch([push(f"tok-{i}", key=f"d-{i}") for i in range(501)])

    assert len(results) == 501
    assert [r for r in results if r.outcome != Outcome.SENT] == []
    assert len(fake_provider.pushes()) == 501


@pytest.mark.parametrize(
    ("token", "code"),
    [("fail-unregistered-1", "UNREGISTERED"), ("fail-sender-mismatch-1", "SENDER_ID_MISMATCH"),
     ("fail-invalid-1", "INVALID_TOKEN")],
)
def test_it_deactivates_dead_tokens(fcm_settings, fake_provider, token, code):
    ok, dead = send(push("tok-ok", key="d-ok"), push(token, key="d-dead"))

    assert ok.outcome == Outcome.SENT
    assert (dead.key, dead.outcome, dead.error_code, dead.deactivate_recipient) == ("d-dead", Outcome.PERMANENT, code, True)


def test_it_retries_later_on_quota_exceeded_honouring_retry_after(fcm_settings, fake_provider):
    fake_provider.fail(429, service="fcm", count=1, retry_after=9)

    (result,) = send(push())

    assert (result.outcome, result.error_code, result.retry_after) == (Outcome.TRANSIENT, "QUOTA_EXCEEDED", 9.0)
    assert not result.deactivate_recipient


def test_it_retries_later_on_a_quota_token(fcm_settings, fake_provider):
    (result,) = send(push("fail-quota-1"))

    assert (result.outcome, result.error_code, result.retry_after) == (Outcome.TRANSIENT, "QUOTA_EXCEEDED", 1.0)


@pytest.mark.parametrize(("token", "code"), [("fail-unavailable-1", "UNAVAILABLE"), ("fail-internal-1", "INTERNAL")])
def test_it_retries_later_on_server_errors_after_one_quick_retry(fcm_settings, fake_provider, token, code):
    (result,) = send(push(token))

    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, code)
    assert result.retry_after is not None
    assert len(fake_provider.pushes()) == 2  # the SDK's 4 retries with backoff are limited to one


def test_it_gets_through_a_single_flap(fcm_settings, fake_provider):
    send(push())  # the token first
    fake_provider.fail(503, service="fcm", count=1)

    (result,) = send(push())

    assert result.outcome == Outcome.SENT


def test_it_reports_a_read_timeout_as_unknown_and_does_not_resend(fcm_settings, fake_provider):
    fcm_settings.FCM_TIMEOUT_SECONDS = 0.5
    fake_provider.configure(slow_seconds=1.5)  # answers after the client gave up

    (result,) = send(push("fail-slow-1"))

    assert (result.outcome, result.error_code) == (Outcome.UNKNOWN, "network")
    assert len(fake_provider.pushes()) == 1


def test_it_keeps_the_batch_when_the_token_endpoint_is_down(fcm_settings, fake_provider, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # Its own service account, whose token_uri answers nothing: the token must be obtained, and cannot.
    fcm_settings.FIREBASE_CREDENTIALS = str(write_service_account(tmp_path / "sa.json", dead))

    results = send(push("tok-1", key="d-1"), push("tok-2", key="d-2"))

    assert [(r.outcome, r.error_code) for r in results] == [(Outcome.TRANSIENT, "auth")] * 2
    assert fake_provider.pushes() == []


def test_it_keeps_the_batch_when_the_credentials_file_is_unusable(fcm_settings, fake_provider, tmp_path):
    fcm_settings.FIREBASE_CREDENTIALS = str(tmp_path / "missing.json")

    results = send(push("tok-1", key="d-1"))

    assert [(r.outcome, r.error_code) for r in results] == [(Outcome.TRANSIENT, "credentials")]
    assert fake_provider.pushes() == []


def test_it_reports_a_refused_connection_as_transient(fcm_settings, fake_provider, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        fcm_settings.FCM_API_BASE_URL = f"http://127.0.0.1:{sock.getsockname()[1]}"

    (result,) = send(push())

    assert (result.outcome, result.error_code) == (Outcome.TRANSIENT, "network")


def test_it_refuses_data_that_is_not_text_without_sending_the_rest_twice(fcm_settings, fake_provider):
    bad, good = send(push("tok-bad", key="d-bad", data={"alert": 42}), push("tok-good", key="d-good"))

    assert (bad.outcome, bad.error_code) == (Outcome.PERMANENT, "not_encodable")
    assert good.outcome == Outcome.SENT
    assert [m["token"] for m in fake_provider.pushes()] == ["tok-good"]


def test_it_reports_missing_or_unreadable_credentials_at_start_up(fcm_settings, tmp_path):
    fcm_settings.FIREBASE_CREDENTIALS = ""
    assert [e.id for e in check_providers()] == ["providers.E003"]

    fcm_settings.FIREBASE_CREDENTIALS = str(tmp_path / "missing.json")
    assert [e.id for e in check_providers()] == ["providers.E004"]

    (tmp_path / "other.json").write_text(json.dumps({"type": "authorized_user"}))
    fcm_settings.FIREBASE_CREDENTIALS = str(tmp_path / "other.json")
    assert [e.id for e in check_providers()] == ["providers.E004"]


def test_it_accepts_a_service_account_file(fcm_settings):
    assert check_providers() == []


def test_it_takes_the_next_chunk_only_when_the_requests_before_it_are_almost_done(fcm_settings, fake_provider, fcm_path):
    """Taking a chunk claims its deliveries: what a killed worker leaves claimed but unsent stays small."""
    fake_provider.configure(latency=0.02)
    size, waiting_at_each_take = 64, []

    def chunks():
        for n in range(5):
            waiting_at_each_take.append(n * size - len(fake_provider.pushes()))  # handed over, not yet at the fake
            yield [push(f"tok-{n}-{i}", key=f"d-{n}-{i}") for i in range(size)]

    results = send_stream(get_push_backend(), chunks())

    assert [r.outcome for r in results] == [Outcome.SENT] * 5 * size
    if fcm_path != "sdk":  # the SDK path (send_each) takes every chunk first, then makes one call
        assert max(waiting_at_each_take) <= (AHEAD if fcm_path == "fast" else fcm_curl.AHEAD)
        assert max(waiting_at_each_take) > 0  # it did take chunks ahead of the answers
    else:
        assert waiting_at_each_take == [n * size for n in range(5)]


def test_each_chunks_results_are_handed_over_once_in_order_while_later_chunks_fly(fcm_settings, fake_provider, fcm_path):
    """The sender records a part while the next part's requests are in flight (fcm_curl); the other transports
    hand nothing over and the caller records every result from what the call returns."""
    fake_provider.configure(latency=0.02)
    size, taken, reported = 64, [0], []

    def chunks():
        for n in range(5):
            taken[0] = n
            yield [push(f"tok-{n}-{i}", key=f"d-{n}-{i}") for i in range(size)]

    def settled(chunk, results):
        reported.append((chunk, taken[0], [r.key for r in results]))

    results = send_stream(get_push_backend(), chunks(), settled)

    assert [r.outcome for r in results] == [Outcome.SENT] * 5 * size
    if fcm_path.startswith("curl"):
        assert [chunk for chunk, _, _ in reported] == list(range(5))
        assert all(keys == [f"d-{c}-{i}" for i in range(size)] for c, _, keys in reported)
        assert any(c < last for c, last, _ in reported)  # recorded before the last chunk was taken
    else:
        assert reported == []


def test_http2_multiplexes_the_requests_over_one_connection(fcm_settings, fake_provider, fcm_path):
    before = fake_provider.connections

    results = send(*[push(f"tok-{i}", key=f"d-{i}") for i in range(300)])

    assert [r.outcome for r in results] == [Outcome.SENT] * 300
    sends = [r for r in fake_provider.requests if r.path == SEND_PATH]
    opened = fake_provider.connections - before - 1  # the token request's own connection (google-auth's)
    if fcm_path == "curl-h2c":
        assert {r.version for r in sends} == {"HTTP/2"}
        assert opened == 1
    else:
        assert {r.version for r in sends} == {"HTTP/1.1"}
        assert opened > 1  # several keep-alive connections (fast: 32; curl: up to IN_FLIGHT)


def test_a_request_that_times_out_is_unknown_and_holds_up_nothing_else(fcm_settings, fake_provider):
    """A timeout after the request left may follow an accepted push: UNKNOWN, never sent again; over HTTP/2 the
    other streams of the connection go on."""
    fcm_settings.FCM_TIMEOUT_SECONDS = 0.5
    fake_provider.configure(slow_seconds=1.5)

    slow, ok = send(push("fail-slow-2", key="d-slow"), push("tok-ok", key="d-ok"))

    assert (slow.outcome, slow.error_code, slow.retry_after) == (Outcome.UNKNOWN, "network", None)
    assert ok.outcome == Outcome.SENT  # a slow stream holds up nothing else
    assert [m["token"] for m in fake_provider.pushes()].count("fail-slow-2") == 1


def test_a_call_whose_caller_raises_leaves_nothing_in_flight_for_the_next(fcm_settings, fake_provider):
    """Taking a chunk can fail (its claim is a commit): the requests already in flight must not be finished
    later under the next call's results."""
    fake_provider.configure(latency=0.05)

    def chunks():
        yield [push(f"tok-a{i}", key=f"a-{i}") for i in range(10)]
        raise RuntimeError("the claim failed")

    with pytest.raises(RuntimeError):
        send_stream(get_push_backend(), chunks())
    fake_provider.configure(latency=0.0)
    results: list = []
    # A daemon thread: a transport confused by the leftovers may never return.
    worker = threading.Thread(target=lambda: results.extend(send(*[push(f"tok-b{i}", key=f"b-{i}") for i in range(20)])),
                              daemon=True)
    worker.start()
    worker.join(timeout=20)

    assert [(r.key, r.outcome) for r in results] == [(f"b-{i}", Outcome.SENT) for i in range(20)]


def test_a_transport_that_breaks_while_reading_an_answer_fails_its_caller_instead_of_leaving_it_waiting(
        fcm_settings, fake_provider, fcm_path, monkeypatch):
    """A bug where answers are read (curl: its loop thread; fast: its pool's threads) must not hang a push worker:
    the call raises (the sender then records its pushes as unknown), and the next call works."""
    monkeypatch.setattr(fcm_wire, "accepted", lambda key, content: 1 / 0)
    outcome: list = []

    def first_call() -> None:
        try:
            outcome.append(send(push("tok-1", key="d-1")))
        except Exception as error:  # noqa: BLE001 - what the call raised is the point
            outcome.append(error)

    caller = threading.Thread(target=first_call, daemon=True)
    caller.start()
    caller.join(timeout=20)
    monkeypatch.undo()

    (first,) = outcome
    if fcm_path.startswith("curl"):
        assert isinstance(first, RuntimeError)
        assert isinstance(first.__cause__, ZeroDivisionError)
    elif fcm_path == "fast":
        assert isinstance(first, ZeroDivisionError)
    else:  # firebase-admin reads its answers itself
        assert [r.outcome for r in first] == [Outcome.SENT]
    assert [r.outcome for r in send(push("tok-2", key="d-2"))] == [Outcome.SENT]
