from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from conftest import Town, client_for


@pytest.fixture
def report(saint_paul: Town) -> Callable[..., Any]:
    """POST /alerts as a resident of Saint-Paul (or `who`), with sensible defaults."""

    def post(who: Any = None, client: APIClient | None = None, **fields: Any) -> Any:
        body = {"commune": "06128", "category": "vehicule_suspect",
                "description": "Camionnette blanche qui fait le tour du quartier", **fields}  # fmt: skip
        return (client or client_for(who or saint_paul.resident)).post("/api/v1/alerts", body, format="json")

    return post
