"""A scripted phone-app client against a running service and the fake provider, over HTTP only.

    python scripts/blackbox.py --api http://127.0.0.1:8200 --fake http://127.0.0.1:8765

Signs up a mayor (already named by `enroll_commune 06128 --mayor ...`) and residents by SMS code (read
from the fake Twilio), joins, approves, reports, approves the alert, and counts what the fake received.
"""

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from typing import Any


class Client:
    def __init__(self, base: str, token: str = "") -> None:
        self.base, self.token = base.rstrip("/"), token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 - loopback only
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw.startswith(b"{") else raw


def fake_requests(fake: str) -> list[dict]:
    with urllib.request.urlopen(fake + "/_requests", timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def sms_to(fake: str, phone: str) -> list[str]:
    bodies = []
    for item in fake_requests(fake):
        form = item.get("form") or item.get("body") or {}
        if isinstance(form, dict) and form.get("To") == phone:
            bodies.append(form.get("Body", ""))
    return bodies


def sign_in(api: str, fake: str, phone: str) -> Client:
    status, _ = Client(api).call("POST", "/api/v1/auth/otp/request", {"phone": phone})
    assert status == 202, status
    for _ in range(50):
        codes = [m for body in sms_to(fake, phone) for m in re.findall(r"\b(\d{6})\b", body)]
        if codes:
            break
        time.sleep(0.1)
    status, body = Client(api).call("POST", "/api/v1/auth/otp/verify", {"phone": phone, "code": codes[-1]})
    assert status == 200, (status, body)
    return Client(api, body["token"])


def run(api: str, fake: str, mayor_phone: str) -> dict[str, Any]:
    """The whole flow; returns the delivery report, the pushes the fake received and the clients."""
    mayor = sign_in(api, fake, mayor_phone)
    residents = []
    for i in range(3):
        phone = f"+3361222333{i}"
        client = sign_in(api, fake, phone)
        status, membership = client.call("POST", "/api/v1/communes/06128/memberships", {"address": f"{i} rue Grande"})
        assert status == 201, (status, membership)
        assert mayor.call("POST", f"/api/v1/memberships/{membership['id']}/approve")[0] == 200
        status, device = client.call("POST", "/api/v1/devices", {"fcm_token": f"token-{i}", "platform": "android"})
        assert status in (200, 201), (status, device)
        residents.append(client)
    status, alert = residents[0].call("POST", "/api/v1/alerts", {"commune": "06128", "category": "cambriolage",
                                                                  "description": "Volets forcés rue Grande"})  # fmt: skip
    assert status == 201, (status, alert)
    assert residents[1].call("GET", f"/api/v1/alerts/{alert['id']}")[0] == 404
    assert mayor.call("POST", f"/api/v1/alerts/{alert['id']}/approve")[0] == 200
    deadline = time.time() + 30
    while time.time() < deadline:
        status, report = mayor.call("GET", f"/api/v1/alerts/{alert['id']}/deliveries")
        if report["pending"] == 0 and report["recipients"]:
            break
        time.sleep(0.5)
    pushes = [r for r in fake_requests(fake) if "messages:send" in r.get("path", "")]
    return {"report": report, "pushes": pushes, "alert": alert, "mayor": mayor, "residents": residents}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default="http://127.0.0.1:8200")
    parser.add_argument("--fake", default="http://127.0.0.1:8765")
    parser.add_argument("--mayor", default="+33611111111")
    args = parser.parse_args()
    result = run(args.api, args.fake, args.mayor)
    print("deliveries:", result["report"])
    print("pushes received by the fake:", len(result["pushes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
