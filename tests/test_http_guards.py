"""What every answer gets whatever its view: bounded bodies, JSON that cannot crash the parser, no caching of
what a signed-in person is shown, a Content-Security-Policy on pages."""

from typing import Any

import pytest
from django.test import Client

from conftest import client_for

LIMIT = 2_621_440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE


def test_deeply_nested_json_is_a_400_not_a_500(db: None) -> None:
    body = "[" * 50_000 + "]" * 50_000
    response = Client().post("/api/v1/auth/otp/request", body, content_type="application/json")
    assert response.status_code == 400
    assert "imbrication" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/auth/otp/request", "/api/v1/alerts", "/webhooks/twilio/inbound"])
def test_a_body_over_the_limit_is_a_413_in_json(db: None, path: str) -> None:
    response = Client().post(path, "x" * (LIMIT + 1), content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "volumineuse" in response.json()["detail"]


def test_a_body_under_the_limit_is_parsed(db: None) -> None:
    response = Client().post("/api/v1/auth/otp/request", {"phone": "pas un numéro"}, content_type="application/json")
    assert response.status_code == 400
    assert "phone" in response.json()


def test_what_a_signed_in_person_is_shown_is_never_stored(saint_paul) -> None:
    response = client_for(saint_paul.resident).get("/api/v1/me")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "Authorization" in response["Vary"]


def test_a_dashboard_session_answer_is_never_stored(saint_paul) -> None:
    client = Client()
    client.force_login(saint_paul.mayor)
    response = client.get("/api/v1/me")
    assert "no-store" in response["Cache-Control"]


def test_anonymous_reference_data_stays_cacheable(saint_paul) -> None:
    response = Client().get("/api/v1/communes/06128")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/dashboard/login/", "/admin/login/", "/api/v1/docs/"])
def test_pages_carry_a_content_security_policy(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script anywhere, the API docs included
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_the_api_docs_script_is_a_file_of_its_own(db: None) -> None:
    page = Client().get("/api/v1/docs/").content.decode()
    assert "<script>" not in page.replace(" ", "")
    script = Client().get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_static_files_stay_cacheable_for_a_signed_in_browser(saint_paul) -> None:
    client = Client()
    client.force_login(saint_paul.mayor)
    response = client.get("/dashboard/brand.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"] and "max-age" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404_and_a_page_keeps_its_own(settings: Any) -> None:
    settings.DEBUG = False
    client = Client()
    for path in ("/api/v1/nothing/here", "/api/v1/communes/06128/nothing", "/api/v2/alerts"):
        response = client.get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", path
        assert response.json() == {"detail": "Non trouvé."}  # as an unknown object's
    page = client.get("/dashboard/nothing/here")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_failure_under_the_api_is_json() -> None:
    from django.test import RequestFactory

    from vigilants.errors import server_error

    assert server_error(RequestFactory().get("/api/v1/alerts")).status_code == 500
    assert server_error(RequestFactory().get("/api/v1/alerts"))["Content-Type"] == "application/json"
    assert server_error(RequestFactory().get("/dashboard/"))["Content-Type"].startswith("text/html")
