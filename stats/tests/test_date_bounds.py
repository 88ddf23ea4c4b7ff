"""Dates of the statistics are bounded: a date far in the past or the future is a 400, never a 500."""

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.http import StreamingHttpResponse

from accounts.models import User
from conftest import Town, client_for
from stats.periods import today

if TYPE_CHECKING:
    from rest_framework.response import _MonkeyPatchedResponse as ApiResponse  # what APIClient answers, in the stubs

URLS = ["/api/v1/stats/communes/06128", "/api/v1/stats/export"]


def get(user: User | None, url: str, **params: str) -> "ApiResponse":
    response = client_for(user).get(url, {"format": "json", **params} if "export" in url else params)
    if isinstance(response, StreamingHttpResponse):
        b"".join(response.streaming_content)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("params", "fields"), [
    ({"to": "9999-12-31"}, {"to"}),
    ({"to": "0001-01-01"}, {"to"}),
    ({"from": "9999-01-01", "to": "9999-12-31"}, {"from", "to"}),
    ({"from": "0001-01-01", "to": "0001-02-01"}, {"from", "to"}),
    ({"from": "0001-01-01"}, {"from"}),
    ({"from": "1999-12-31", "to": "2000-01-31"}, {"from"}),
])  # fmt: skip
def test_extreme_dates_are_field_errors(saint_paul: Town, staff: User, url: str, params: dict, fields: set) -> None:
    response = get(staff, url, **params)
    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == fields
    assert all("2000" in message for field in fields for message in response.json()[field])


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
def test_the_future_is_bounded_to_a_year_ahead(saint_paul: Town, staff: User, url: str) -> None:
    ahead = today() + timedelta(days=366)
    assert get(staff, url, **{"from": today().isoformat(), "to": ahead.isoformat()}).status_code == 200
    response = get(staff, url, **{"from": today().isoformat(), "to": (ahead + timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and set(response.json()) == {"to"}


@pytest.mark.django_db
@pytest.mark.parametrize("url", URLS)
def test_the_earliest_year_is_accepted_and_the_default_start_stays_within_it(saint_paul: Town, staff: User,
                                                                             url: str) -> None:  # fmt: skip
    assert get(staff, url, **{"from": "2000-01-01", "to": "2000-12-31"}).status_code == 200
    response = get(staff, url, to="2000-03-31")
    assert response.status_code == 200
    if "export" not in url:
        assert response.json()["from"] == "2000-01-01"
