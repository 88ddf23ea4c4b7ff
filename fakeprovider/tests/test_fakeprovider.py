"""The fake provider as a black box: wire formats, recording, failure injection, the command line."""

import base64
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

import pytest

from fakeprovider import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FakeProvider, sms_behaviour, token_behaviour

MESSAGES = f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"
BASIC = "Basic " + base64.b64encode(f"{FAKE_ACCOUNT_SID}:{FAKE_AUTH_TOKEN}".encode()).decode()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def call(fake: FakeProvider, method: str, path: str, body: bytes = b"", headers: dict | None = None,
         conn: http.client.HTTPConnection | None = None) -> tuple[int, dict, object]:
    conn = conn or http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")


def sms(fake: FakeProvider, to: str = "+33612345678", auth: str = BASIC, **conn: object) -> tuple[int, dict, object]:
    body = urllib.parse.urlencode({"To": to, "From": "+33700000001", "Body": "Bonjour"}).encode()
    return call(fake, "POST", MESSAGES, body, {**FORM, "Authorization": auth}, **conn)  # type: ignore[arg-type]


def control(fake: FakeProvider, payload: dict) -> int:
    return call(fake, "POST", "/_control", json.dumps(payload).encode(), {"Content-Type": "application/json"})[0]


def test_it_answers_twilio_messages_json(fake_provider):
    status, _, body = sms(fake_provider, to="+33612345678")

    assert status == 201
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["status"], body["to"], body["from"], body["num_segments"]) == ("queued", "+33612345678", "+33700000001", "1")
    assert body["uri"] == f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages/{body['sid']}.json"


def test_it_refuses_bad_twilio_credentials(fake_provider):
    status, _, body = sms(fake_provider, auth="Basic " + base64.b64encode(b"AC1:nope").decode())

    assert (status, body["code"], body["status"]) == (401, 20003, 401)


def test_it_answers_twilio_errors_in_the_legacy_shape(fake_provider):
    status, _, body = sms(fake_provider, to="+33600099211")

    assert status == 400
    assert set(body) == {"code", "message", "more_info", "status"}
    assert (body["code"], body["more_info"]) == (21211, "https://www.twilio.com/docs/errors/21211")


def test_it_keeps_connections_alive(fake_provider):
    conn = http.client.HTTPConnection("127.0.0.1", fake_provider.port, timeout=5)

    statuses = [sms(fake_provider, conn=conn)[0] for _ in range(3)]

    assert statuses == [201, 201, 201]
    assert conn.sock is not None  # the same socket served all three


def test_it_records_requests_and_serves_them_as_json(fake_provider):
    sms(fake_provider)

    status, _, recorded = call(fake_provider, "GET", "/_requests")

    assert status == 200
    (request,) = recorded
    assert (request["method"], request["path"]) == ("POST", MESSAGES)
    assert request["form"] == {"To": "+33612345678", "From": "+33700000001", "Body": "Bonjour"}
    assert request["headers"]["authorization"] == BASIC


def test_it_tells_the_most_sms_received_within_any_second(fake_provider):
    fake_provider.record = False  # as in the benchmark: counted all the same
    try:
        for _ in range(3):
            sms(fake_provider)
    finally:
        fake_provider.record = True
    fake_provider.sms_arrivals.append(fake_provider.sms_arrivals[-1] + 1.5)  # one more, later

    assert call(fake_provider, "GET", "/_sms_rate")[2] == {"count": 4, "most_in_one_second": 3}


def test_it_forgets_on_reset(fake_provider):
    sms(fake_provider)
    fake_provider.fail(500, count=5)

    assert call(fake_provider, "POST", "/_reset")[0] == 200

    assert fake_provider.requests == []
    assert sms(fake_provider)[0] == 201


def test_it_fails_the_next_n_requests_on_demand(fake_provider):
    assert control(fake_provider, {"fail": {"status": 429, "count": 2, "service": "twilio", "retry_after": 4}}) == 200

    answers = [sms(fake_provider) for _ in range(3)]

    assert [a[0] for a in answers] == [429, 429, 201]
    assert answers[0][1]["Retry-After"] == "4"
    assert answers[0][2]["code"] == 20429


def test_it_fails_for_a_while_on_demand(fake_provider):
    fake_provider.fail(500, seconds=0.2)

    during = sms(fake_provider)[0]
    time.sleep(0.25)

    assert (during, sms(fake_provider)[0]) == (500, 201)


def test_it_only_fails_the_service_asked_for(fake_provider):
    fake_provider.fail(503, service="fcm", count=1)

    assert sms(fake_provider)[0] == 201


def test_it_adds_latency(fake_provider):
    assert control(fake_provider, {"latency": 0.2}) == 200

    started = time.monotonic()
    sms(fake_provider)

    assert time.monotonic() - started >= 0.2


def test_it_refuses_unknown_control_options(fake_provider):
    assert control(fake_provider, {"colour": "blue"}) == 400


def test_it_issues_tokens_for_a_jwt_bearer_grant(fake_provider):
    claims = base64.urlsafe_b64encode(json.dumps({"iss": "sa@x", "exp": time.time() + 60}).encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "assertion": f"e30.{claims.rstrip('=')}.c2ln"}).encode()

    status, _, body = call(fake_provider, "POST", "/token", form, FORM)

    assert status == 200
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert body["access_token"] in fake_provider.issued_tokens


def test_it_refuses_other_grants(fake_provider):
    status, _, body = call(fake_provider, "POST", "/token", b"grant_type=password", FORM)

    assert (status, body["error"]) == (400, "unsupported_grant_type")


def test_it_refuses_fcm_calls_without_an_issued_token(fake_provider):
    payload = json.dumps({"message": {"token": "t"}}).encode()

    status, _, body = call(fake_provider, "POST", "/v1/projects/p/messages:send", payload,
                           {"Content-Type": "application/json", "Authorization": "Bearer forged"})

    assert (status, body["error"]["status"]) == (401, "UNAUTHENTICATED")


def test_it_answers_fcm_errors_in_the_google_rpc_shape(fake_provider):
    fake_provider.issued_tokens.add("t0")
    payload = json.dumps({"message": {"token": "fail-unregistered-1"}}).encode()

    status, _, body = call(fake_provider, "POST", "/v1/projects/p/messages:send", payload,
                           {"Content-Type": "application/json", "Authorization": "Bearer t0"})

    assert status == 404
    assert body == {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                              "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                           "errorCode": "UNREGISTERED"}]}}


@pytest.mark.parametrize(
    ("to", "behaviour"),
    [("+33612345678", "ok"), ("+33600099211", "invalid"), ("+15005550009", "not_mobile"),
     ("+33600099610", "opted_out"), ("+33600099999", "ok"), ("+33699211000", "ok")],
)
def test_it_documents_its_number_convention(to, behaviour):
    assert sms_behaviour(to) == behaviour


def test_it_documents_its_token_convention():
    assert [token_behaviour(t) for t in ("abc", "fail-unregistered-x", "fail-quota-1", "fail-nothing")] == [
        "ok", "unregistered", "quota", "ok"]


def test_it_runs_from_the_command_line(tmp_path):
    process = subprocess.Popen(  # noqa: S603 (our own module, fixed arguments)
        [sys.executable, "-m", "fakeprovider", "--port", "0", "--service-account",
         str(tmp_path / "sa.json")], stdout=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        url = line.split()[3]
        host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/_health")
        assert conn.getresponse().status == 200
        assert json.loads((tmp_path / "sa.json").read_text())["token_uri"] == f"{url}/token"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_its_help_lists_the_endpoints(capsys):
    from fakeprovider.__main__ import main

    with pytest.raises(SystemExit):
        main(["--help"])

    shown = capsys.readouterr().out
    assert "GET  /_shown" in shown and "GET  /2010-04-01/Accounts/{AccountSid}/Messages.json" in shown


def test_it_speaks_http2_with_prior_knowledge_on_the_same_port(fake_provider):
    """h2c: the same answers as over HTTP/1.1, several streams on one connection, an error with its Retry-After."""
    import httpx

    fake_provider.issued_tokens.add("t0")
    fake_provider.fail(429, service="fcm", count=1, retry_after=7)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer t0"}
    with httpx.Client(http1=False, http2=True, base_url=fake_provider.url, timeout=5) as client:
        answers = [client.post("/v1/projects/p/messages:send", headers=headers,
                               content=json.dumps({"message": {"token": f"tok-{i}"}}).encode()) for i in range(3)]
        dead = client.post("/v1/projects/p/messages:send", headers=headers,
                           content=json.dumps({"message": {"token": "fail-unregistered-1"}}).encode())

    assert {a.http_version for a in [*answers, dead]} == {"HTTP/2"}
    assert [a.status_code for a in answers] == [429, 200, 200]
    assert answers[0].headers["retry-after"] == "7"
    assert answers[1].json()["name"].startswith("projects/p/messages/")
    assert dead.json()["error"]["details"][0]["errorCode"] == "UNREGISTERED"
    assert [r.version for r in fake_provider.requests] == ["HTTP/2"] * 4
    assert [m["token"] for m in fake_provider.pushes()] == ["tok-0", "tok-1", "tok-2", "fail-unregistered-1"]
    assert fake_provider.connections == 1
