from collections.abc import Iterator

import pytest
from pytest_django import DjangoDbBlocker
from rest_framework.test import APIClient

from communes.importer import import_communes
from communes.models import Commune
from tests.factories import NeighbourhoodFactory


@pytest.fixture(scope="module")
def all_communes(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Loaded once for the module (committed), removed afterwards so that other tests start empty."""
    with django_db_blocker.unblock():
        import_communes()
    yield
    with django_db_blocker.unblock():
        Commune.objects.all().delete()


SPELLINGS = ["saint paul de vence", "ST PAUL DE VENCE", "Saint-Paul-de-Vence", "st-paul de vence"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", SPELLINGS)
def test_it_finds_saint_paul_first_whatever_the_spelling(all_communes: None, anon: APIClient, query: str) -> None:
    response = anon.get("/api/v1/communes", {"search": query})
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["insee"] == "06128"
    assert first["postal_codes"] == ["06570"]
    assert set(first) >= {"insee", "name", "departement", "postal_codes", "population", "latitude", "longitude",
                          "enrolled"}  # fmt: skip


@pytest.mark.django_db
def test_it_finds_by_postal_code_and_departement(all_communes: None, anon: APIClient) -> None:
    by_postal = anon.get("/api/v1/communes/", {"postal_code": "06570"}).json()
    assert [c["insee"] for c in by_postal["results"]] == ["06128"]
    by_dep = anon.get("/api/v1/communes", {"departement": "2A", "page_size": "200"}).json()
    assert by_dep["count"] > 100
    assert all(c["departement"] == "2A" for c in by_dep["results"])


@pytest.mark.django_db
def test_it_rejects_a_malformed_postal_code(all_communes: None, anon: APIClient) -> None:
    response = anon.get("/api/v1/communes", {"postal_code": "6570"})
    assert response.status_code == 400
    assert "postal_code" in response.json()


@pytest.mark.django_db
def test_it_paginates_with_a_cap(all_communes: None, anon: APIClient) -> None:
    body = anon.get("/api/v1/communes", {"page_size": 1000}).json()
    assert body["count"] == 37530
    assert len(body["results"]) == 200
    assert body["next"] and body["previous"] is None


@pytest.mark.django_db
def test_one_commune_shows_neighbourhoods_only_when_enrolled(all_communes: None, anon: APIClient) -> None:
    commune = Commune.objects.by_insee("06128")
    assert commune is not None
    NeighbourhoodFactory.create(commune=commune, name="Village")
    assert anon.get("/api/v1/communes/06128").json()["neighbourhoods"] == []
    commune.enrolled = True
    commune.save()
    body = anon.get("/api/v1/communes/06128/").json()
    assert body["name"] == "Saint-Paul-de-Vence"
    assert [n["name"] for n in body["neighbourhoods"]] == ["Village"]
    commune.enrolled = False
    commune.save()


@pytest.mark.django_db
def test_an_unknown_commune_is_404(all_communes: None, anon: APIClient) -> None:
    assert anon.get("/api/v1/communes/99999").status_code == 404
    assert anon.get("/api/v1/communes/abc").status_code == 404
