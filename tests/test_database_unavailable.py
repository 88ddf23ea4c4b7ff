"""A request caught by a database restart gets a 503 to retry, never a 500."""

from unittest import mock

import pytest
from django.db import OperationalError

from conftest import Town, client_for


@pytest.mark.django_db
def test_a_request_that_loses_the_database_gets_a_503_to_retry(saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    client.raise_request_exception = False
    with mock.patch("alerts.views.AlertList.get_queryset", side_effect=OperationalError("terminating connection")):
        response = client.get("/api/v1/alerts")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "indisponible" in response.json()["detail"]
    assert client.get("/api/v1/alerts").status_code == 200  # and the next one is served again
