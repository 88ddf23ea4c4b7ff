"""Exports have a rate of their own (THROTTLE_EXPORT): one person cannot pull them in a loop."""

import os

import pytest
from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from audit.models import AuditEntry
from conftest import Town, client_for

URL = "/api/v1/stats/export"


def test_the_rate_comes_from_the_environment_with_a_default() -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["export"] == os.environ.get("THROTTLE_EXPORT", "30/hour")


@pytest.mark.django_db
def test_exports_beyond_the_rate_are_429_with_retry_after(saint_paul: Town, gendarme_06: User, staff: User,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "export", "3/hour")
    gendarme = client_for(gendarme_06)
    assert [gendarme.get(URL, {"communes": "06128", "format": "json"}).status_code for _ in range(3)] == [200] * 3
    refused = gendarme.get(URL, {"communes": "06128", "format": "json"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "detail" in refused.json()
    assert AuditEntry.objects.filter(action="stats.exported", commune__isnull=True).count() == 3  # the refused one left no trace
    assert client_for(staff).get(URL, {"format": "json"}).status_code == 200  # a rate per person


@pytest.mark.django_db
def test_the_rgpd_export_has_the_same_rate(saint_paul: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "export", "2/hour")
    resident = client_for(saint_paul.resident)
    assert [resident.get("/api/v1/me/export").status_code for _ in range(3)] == [200, 200, 429]
