"""Malformed requests across the API: each gets a clear 4xx (field errors, 404), never a 500."""

import pytest
from django.utils import timezone

from alerts.models import Alert
from conftest import client_for

REPORT = {"commune": "06128", "category": "vol", "description": "Un vol de vélo"}
BAD = [
    ("post", "/api/v1/alerts", {"commune": 6128, "category": None, "description": ["x"]}),
    ("post", "/api/v1/alerts", {"commune": "06128", "category": "vol", "description": "Vol", "latitude": "a", "longitude": "x"}),
    ("post", "/api/v1/alerts", {"commune": "06128", "category": "vol", "description": "Un vol de vélo", "neighbourhood": "abc"}),
    ("post", "/api/v1/alerts", {"commune": "06128", "category": "vol", "description": "Un vol de vélo", "occurred_at": 12}),
    ("post", "/api/v1/alerts", "not json"),
    ("get", "/api/v1/alerts?since=hier", None),
    ("get", "/api/v1/alerts?status=zzz", None),
    ("get", "/api/v1/alerts?page=999", None),
    ("post", "/api/v1/communes/06128/broadcasts", {"title": "t", "body": "b", "neighbourhoods": ["a"], "channels": "push"}),
    ("patch", "/api/v1/me", {"preferences": "all"}),
    ("patch", "/api/v1/me", {"preferences": {"channels": "push"}}),
    ("patch", "/api/v1/me", {"display_name": "x" * 500}),
    ("post", "/api/v1/devices", {"fcm_token": "x" * 5000, "platform": "ios"}),
    ("patch", "/api/v1/communes/06128/policy", {"escalation_minutes": "abc"}),
    ("post", "/api/v1/communes/06128/memberships", {"address": "", "neighbourhood": "x"}),
    ("post", "/api/v1/alerts", {**REPORT, "occurred_at": "0001-01-01T00:00:00"}),  # year 1 in Paris time: not in UTC
    ("post", "/api/v1/alerts", {**REPORT, "occurred_at": "9999-12-31T23:59:59"}),
    ("get", "/api/v1/stats/communes/06128?from=2026-13-01", None),
    ("get", "/api/v1/stats/communes/06128?to=9999-12-31", None),
    ("get", "/api/v1/stats/communes/06128?to=0001-01-01", None),
    ("get", "/api/v1/stats/communes/06128?from=9999-01-01&to=9999-12-31", None),
    ("get", "/api/v1/stats/export?to=9999-12-31", None),
    ("get", "/api/v1/stats/export?to=0001-01-01", None),
    ("get", "/api/v1/stats/export?from=9999-01-01&to=9999-12-31", None),
    ("get", "/api/v1/stats/export?format=pdf", None),
    ("get", "/api/v1/stats/export?communes=,,,", None),
    ("post", "/api/v1/alerts/999999/approve", None),
    ("patch", "/api/v1/memberships/1", {"role": None}),
    ("post", "/api/v1/auth/otp/verify", {"phone": ["a"], "code": {}}),
    ("post", "/api/v1/communes/06128/follow", {"neighbourhoods": [10**30], "channels": ["fax"]}),
    ("post", "/api/v1/communes/06128/follow", "not json"),
    ("post", "/api/v1/communes/06128/moderation-delegation", {"territory": ["departement-06"]}),
    ("post", "/api/v1/communes/06128/moderation-delegation", "not json"),
    ("put", "/api/v1/communes/06128/first-mayor", {"phone": {}, "display_name": None}),
    ("get", "/api/v1/territories/zzz/%00", None),
    ("post", "/api/v1/territories/epci/x/communes", {"insee": 6128, "mayor_phone": ["a"]}),
    ("get", "/api/v1/stats/territories/zzz/%00", None),
    ("get", "/api/v1/stats/territories/departement/06?from=9999-01-01&to=9999-12-31", None),
    ("get", "/api/v1/stats/export?epci=%00", None),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), BAD)
def test_bad_input_is_a_clear_4xx_never_a_500(saint_paul, method: str, path: str, body: object) -> None:
    client = client_for(saint_paul.mayor)
    if body == "not json":
        response = client.generic(method.upper(), path, "not json", content_type="application/json")
    else:
        response = getattr(client, method)(path, body, format="json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["0001-01-01T00:00:00%2B14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00",
                                   "9999-12-31"])  # fmt: skip
def test_an_extreme_since_is_answered_not_a_500(saint_paul, since: str) -> None:
    # The filter compares with a stored instant: any date Python can read is a valid (empty or full) answer.
    Alert.objects.create(commune=saint_paul.commune, category="vol", description="Vol de vélo", status="approved",
                         occurred_at=timezone.now(), reporter=saint_paul.resident2)  # fmt: skip
    response = client_for(saint_paul.resident).get(f"/api/v1/alerts?since={since}")
    assert response.status_code == 200
    assert response.json()["count"] == (0 if since.startswith("9999") else 1)
