"""The API's middleware chain and the pages' (vigilants/handlers.py): who takes which, and what each answers
with. The test clients choose as gunicorn does (root conftest); the last tests call the WSGI application."""

import io
import sys
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext

from conftest import Town, client_for
from vigilants.handlers import ServiceWSGIHandler
from vigilants.middleware import API_CONTENT_POLICY, ApiLocaleMiddleware


def policy(response: Any) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_a_phone_s_request_takes_the_api_chain(saint_paul: Town) -> None:
    response = client_for(saint_paul.resident).get("/api/v1/me")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == API_CONTENT_POLICY
    # The guards that concern it hold: nothing personal kept, the frame and type headers.
    assert "no-store" in response["Cache-Control"] and "Authorization" in response["Vary"]
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response


def test_an_anonymous_api_request_takes_it_too(db: None) -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Security-Policy"] == API_CONTENT_POLICY


def test_a_browser_s_api_request_with_its_session_takes_the_pages_chain(saint_paul: Town) -> None:
    browser = Client()
    browser.force_login(saint_paul.mayor)
    response = browser.get("/api/v1/me")
    assert response.status_code == 200 and response.json()["id"] == saint_paul.mayor.pk
    assert policy(response)["default-src"] == "'self'"  # django-csp: the pages' chain


def test_the_api_docs_page_takes_the_pages_chain(db: None) -> None:
    response = Client().get("/api/v1/docs/")
    assert policy(response)["script-src"] == "'self'"


def test_a_page_takes_the_pages_chain(db: None) -> None:
    response = Client().get("/dashboard/login/")
    assert response.status_code == 200
    assert policy(response)["default-src"] == "'self'"
    assert "csrftoken" in response.cookies  # the pages' CSRF middleware set it


def call(application: ServiceWSGIHandler, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    answered: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answered.update(status=status, headers=dict(response_headers))

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, **headers}  # fmt: skip
    respond: Any = start_response
    body = b"".join(application(environ, respond))
    return answered["status"], answered["headers"], body


@pytest.mark.django_db(transaction=True)
def test_the_wsgi_application_serves_both_chains(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver"]
    application = ServiceWSGIHandler()
    status, headers, body = call(application, "/api/v1/communes")
    assert status.startswith("200") and headers["Content-Security-Policy"] == API_CONTENT_POLICY
    assert b'"results"' in body
    status, headers, _ = call(application, "/dashboard/login/")
    assert status.startswith("200") and "default-src 'self'" in headers["Content-Security-Policy"]
    status, headers, _ = call(application, "/api/v1/me", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=unknown")
    assert status.startswith("401") and "default-src 'self'" in headers["Content-Security-Policy"]


def test_the_api_chain_keeps_the_guards_it_needs(settings: Any) -> None:
    """The guards every API answer relies on (tests/test_http_guards.py tests what each does)."""
    for guard in ["django.middleware.security.SecurityMiddleware", "vigilants.middleware.RequestSizeLimitMiddleware",
                  "vigilants.middleware.PrivateResponsesMiddleware", "vigilants.middleware.DatabaseUnavailableMiddleware",
                  "vigilants.middleware.ApiLocaleMiddleware", "django.middleware.http.ConditionalGetMiddleware"]:  # fmt: skip
        assert guard in settings.API_MIDDLEWARE


@pytest.mark.parametrize("accept", ["", "en", "en-GB,en;q=0.9", "de-DE", "fr-FR,fr;q=0.8,en;q=0.5", "es;q=0.1, en;q=0.5"])
@pytest.mark.parametrize("cookie", ["", "en", "fr", "xx"])
def test_the_api_s_language_is_the_one_django_s_locale_middleware_picks(settings: Any, accept: str, cookie: str) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(f"{request.LANGUAGE_CODE}|{gettext('Jeton invalide ou révoqué.')}")

    headers: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}  # "": no header at all
    if cookie:
        headers["HTTP_COOKIE"] = f"{settings.LANGUAGE_COOKIE_NAME}={cookie}"
    request = RequestFactory().get("/api/v1/me", **headers)
    answers = []
    for middleware in (LocaleMiddleware(view), ApiLocaleMiddleware(view)):
        with translation.override(None):
            response: Any = middleware(request)
        answers.append((response.content, response["Content-Language"], response["Vary"]))
    assert answers[0] == answers[1]
