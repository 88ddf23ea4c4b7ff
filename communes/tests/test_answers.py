"""The public commune answers come from the cache until the communes change, with HTTP validators."""

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from communes import answers
from communes.importer import import_communes
from communes.models import Commune
from communes.services import commune_enroll
from tests.factories import CommuneFactory, NeighbourhoodFactory

LIST = "/api/v1/communes?search=sainte-agathe"


@pytest.fixture
def agathe(db: None) -> Commune:
    return CommuneFactory.create(insee="99001", name="Sainte-Agathe-sur-Mer", postal_codes="99100", enrolled=False)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LIST, "/api/v1/communes/99001"])
def test_an_answer_asked_again_reads_no_table_and_carries_validators(
    agathe: Commune, anon: APIClient, django_assert_num_queries: Callable, url: str
) -> None:
    first = anon.get(url)
    with django_assert_num_queries(0):
        again = anon.get(url)
    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert "public" in again["Cache-Control"] and "max-age=60" in again["Cache-Control"]


@pytest.mark.django_db
def test_a_matching_if_none_match_is_a_304_without_a_query(
    agathe: Commune, anon: APIClient, django_assert_num_queries: Callable
) -> None:
    etag = anon.get("/api/v1/communes/99001")["ETag"]
    with django_assert_num_queries(0):
        response = anon.get("/api/v1/communes/99001", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert anon.get("/api/v1/communes/99001", HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.django_db
def test_an_enrolment_shows_at_once_with_a_new_etag(agathe: Commune, anon: APIClient) -> None:
    before = anon.get("/api/v1/communes/99001")
    assert anon.get(LIST).json()["results"][0]["enrolled"] is False
    commune_enroll(commune=agathe)
    after = anon.get("/api/v1/communes/99001")
    assert after.json()["enrolled"] is True
    assert after["ETag"] != before["ETag"]
    assert anon.get(LIST).json()["results"][0]["enrolled"] is True
    assert anon.get("/api/v1/communes/99001", HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200


@pytest.mark.django_db
def test_a_new_or_removed_quartier_shows_at_once(agathe: Commune, anon: APIClient) -> None:
    commune_enroll(commune=agathe)
    assert anon.get("/api/v1/communes/99001").json()["neighbourhoods"] == []
    quartier = NeighbourhoodFactory.create(commune=agathe, name="Le Port")
    assert [n["name"] for n in anon.get("/api/v1/communes/99001").json()["neighbourhoods"]] == ["Le Port"]
    quartier.delete()
    assert anon.get("/api/v1/communes/99001").json()["neighbourhoods"] == []


@pytest.mark.django_db
def test_an_import_shows_at_once(agathe: Commune, anon: APIClient, tmp_path: Path) -> None:
    assert anon.get("/api/v1/communes/99001").json()["population"] == 1000
    path = tmp_path / "communes.csv"
    path.write_text(
        "code_insee,type,name,parent_code,departement_code,departement_name,region_code,region_name,epci_siren,"
        "epci_name,population,latitude,longitude,bbox_south,bbox_west,bbox_north,bbox_east,postal_codes\n"
        "99001,COM,Sainte-Agathe-sur-Mer,,99,,,,,,4321,43.7,7.1,43.6,7.0,43.8,7.2,99100\n",
        encoding="utf-8",
    )
    import_communes(path)  # bulk_create: no signal
    assert anon.get("/api/v1/communes/99001").json()["population"] == 4321


@pytest.mark.django_db
def test_the_data_version_changes_again_at_commit(
    agathe: Commune, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        agathe.save()
        during = cache.get(answers.VERSION_KEY)
    assert callbacks
    assert cache.get(answers.VERSION_KEY) != during


@pytest.mark.django_db
def test_answers_survive_a_lost_version(agathe: Commune, anon: APIClient) -> None:
    first = anon.get("/api/v1/communes/99001")
    cache.delete(answers.VERSION_KEY)  # Redis evicted or emptied: what was kept may be stale
    Commune.objects.filter(pk=agathe.pk).update(population=7)  # no signal
    again = anon.get("/api/v1/communes/99001")
    assert again.json()["population"] == 7
    assert again["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_errors_are_never_kept(agathe: Commune, anon: APIClient) -> None:
    assert anon.get("/api/v1/communes", {"postal_code": "123"}).status_code == 400
    assert anon.get("/api/v1/communes", {"postal_code": "123"}).status_code == 400
    assert anon.get("/api/v1/communes/99002").status_code == 404
    CommuneFactory.create(insee="99002", name="Tardive")
    assert anon.get("/api/v1/communes/99002").status_code == 200


@pytest.mark.django_db
def test_each_url_keeps_its_own_links(agathe: Commune, anon: APIClient) -> None:
    CommuneFactory.create_batch(3, name="Sainte-Agathe-Bis")
    first = anon.get("/api/v1/communes", {"search": "agathe", "page_size": "2"}).json()
    second = anon.get("/api/v1/communes", {"search": "agathe", "page_size": "2", "page": "2"}).json()
    assert first["next"] and "page=2" in first["next"]
    assert second["previous"] and not second["next"]
    assert {c["insee"] for c in first["results"]}.isdisjoint(c["insee"] for c in second["results"])


@pytest.mark.django_db
def test_the_browsable_api_is_built_each_time(agathe: Commune, anon: APIClient) -> None:
    anon.get("/api/v1/communes/99001")
    page = anon.get("/api/v1/communes/99001", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_url_with_a_parameter_the_api_ignores_is_answered_but_not_kept(
    agathe: Commune, anon: APIClient, django_assert_num_queries: Callable
) -> None:
    first = anon.get(LIST + "&utm_source=sms").json()
    assert [c["insee"] for c in first["results"]] == ["99001"]
    with django_assert_num_queries(1):
        anon.get(LIST + "&utm_source=sms")
    anon.get(LIST + "&page_size=50&format=json")
    with django_assert_num_queries(0):  # known parameters: kept
        anon.get(LIST + "&page_size=50&format=json")
