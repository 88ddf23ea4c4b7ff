"""Operations: health, OpenAPI schema, docs, settings from the environment."""

import os
import subprocess
import sys

import pytest
from rest_framework.test import APIClient

from vigilants import health


@pytest.mark.django_db
def test_healthz_is_200_when_everything_answers(anon: APIClient) -> None:
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(anon: APIClient, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # the broker is CELERY_BROKER_URL, checked apart from the cache
    response = anon.get("/healthz/")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["broker"].startswith("error")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_healthz_is_503_naming_the_database_when_it_fails(anon: APIClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise ConnectionError("down")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = anon.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error: ConnectionError"


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3(anon: APIClient) -> None:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    response = anon.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/communes" in body["paths"]
    assert "17" in body["info"]["description"]


@pytest.mark.django_db
def test_the_docs_are_served_without_a_cdn(anon: APIClient) -> None:
    response = anon.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


SETUP_DJANGO = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'vigilants.settings'; django.setup()"


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", SETUP_DJANGO],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_paths_answer_with_and_without_a_trailing_slash() -> None:
    from django.urls import resolve

    assert resolve("/api/v1/communes").url_name == resolve("/api/v1/communes/").url_name == "commune-list"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_keep_healthy_database_connections_and_drop_old_ones() -> None:
    from types import SimpleNamespace
    from typing import Any
    from unittest import mock

    from celery import Task
    from django.db import connection

    from vigilants.celery import reuse_healthy_connections

    def task(eager: bool) -> Task[Any, Any]:
        return mock.Mock(request=SimpleNamespace(is_eager=eager))  # the one attribute the handler reads

    connection.ensure_connection()
    connection.close_at, kept = None, connection.connection  # CONN_MAX_AGE=None: persistent
    reuse_healthy_connections(sender=task(eager=False))
    assert connection.connection is kept  # a worker's next task reuses it (CELERY_DB_REUSE_MAX)
    connection.close_at = 0  # older than CONN_MAX_AGE
    reuse_healthy_connections(sender=task(eager=True))
    assert connection.connection is kept  # never under an in-process task: it runs in the caller's transaction
    reuse_healthy_connections(sender=task(eager=False))
    assert connection.connection is None
