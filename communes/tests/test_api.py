from collections.abc import Callable, Iterator

import pytest
from pytest_django import DjangoDbBlocker
from rest_framework.test import APIClient

from communes.importer import import_communes
from communes.models import Commune
from communes.text import normalize_name
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
@pytest.mark.parametrize("path", ["99999", "6128", "abc", "061280"])
def test_an_unknown_or_malformed_commune_is_the_apis_json_404(all_communes: None, anon: APIClient, path: str) -> None:
    response = anon.get(f"/api/v1/communes/{path}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def search(anon: APIClient, text: str, **params: str) -> list[dict]:
    response = anon.get("/api/v1/communes", {"search": text, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def insees(results: list[dict]) -> list[str]:
    return [commune["insee"] for commune in results]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["st paul vence", "paul vence", "vence saint-paul", "PAUL DE VENCE", "Vence, St Paul"])
def test_every_word_must_be_in_the_name_in_any_order(all_communes: None, anon: APIClient, query: str) -> None:
    assert insees(search(anon, query)) == ["06128"]


@pytest.mark.django_db
def test_a_word_the_name_lacks_finds_nothing(all_communes: None, anon: APIClient) -> None:
    assert search(anon, "paul vence marseille") == []


@pytest.mark.django_db
def test_the_whole_name_then_word_prefixes_then_words_inside_others(all_communes: None, anon: APIClient) -> None:
    results = search(anon, "vence")
    names = [commune["name"] for commune in results]
    assert names[0] == "Vence"
    assert names[1] == "Saint-Paul-de-Vence"  # the most populous name with a word starting `vence`
    # `vence` only inside a word (Aix-en-Provence) comes after every name with a word starting `vence`.
    starts = [any(word.startswith("vence") for word in normalize_name(name).split()) for name in names]
    first_inside = names.index("Aix-en-Provence")
    assert all(starts[:first_inside]) and not any(starts[first_inside:])


@pytest.mark.django_db
def test_names_starting_with_the_words_come_by_population_after_the_exact_ones(all_communes: None, anon: APIClient) -> None:
    results = search(anon, "ST PAUL", page_size="100")
    exact = [c for c in results if c["name"] == "Saint-Paul"]
    assert results[: len(exact)] == exact and len(exact) >= 5
    assert [c["population"] for c in exact] == sorted((c["population"] for c in exact), reverse=True)
    assert results[len(exact)]["name"] == "Saint-Paul-lès-Dax"


@pytest.mark.django_db
def test_an_enrolled_commune_comes_first_among_equal_matches(all_communes: None, anon: APIClient) -> None:
    Commune.objects.filter(insee="06128").update(enrolled=True)
    results = search(anon, "ST PAUL")
    exact = sum(c["name"] == "Saint-Paul" for c in results)
    assert results[exact]["insee"] == "06128"
    assert results[exact]["enrolled"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["06570", " 06570 ", "06570 saint paul", "saint-paul 06570"])
def test_a_five_digit_word_is_a_postal_code(all_communes: None, anon: APIClient, query: str) -> None:
    assert insees(search(anon, query)) == ["06128"]


@pytest.mark.django_db
def test_a_postal_code_shared_by_communes_finds_each(all_communes: None, anon: APIClient) -> None:
    found = search(anon, "06140", page_size="200")
    assert len(found) > 1 and all("06140" in c["postal_codes"] for c in found)
    assert insees(search(anon, "06140 vence")) == ["06157"]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "departement"), [("06", "06"), ("2a", "2A"), ("974", "974")])
def test_a_departement_code_alone_lists_its_communes(all_communes: None, anon: APIClient, query: str,
                                                      departement: str) -> None:  # fmt: skip
    response = anon.get("/api/v1/communes", {"search": query, "page_size": "200"}).json()
    assert response["count"] == Commune.objects.filter(departement=departement).count() > 10
    assert {c["departement"] for c in response["results"]} == {departement}
    populations = [c["population"] or 0 for c in response["results"] if c["type"] == "COM"]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.django_db
def test_the_most_populous_of_a_name_comes_first(all_communes: None, anon: APIClient) -> None:
    assert search(anon, "paris")[0]["insee"] == "75056"
    assert search(anon, "saint denis")[0]["insee"] == "97411"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "   ", "-'"])
def test_a_search_without_words_lists_everything(all_communes: None, anon: APIClient, query: str) -> None:
    assert anon.get("/api/v1/communes", {"search": query}).json()["count"] == 37530


@pytest.mark.django_db
def test_a_search_too_long_is_a_400(all_communes: None, anon: APIClient) -> None:
    response = anon.get("/api/v1/communes", {"search": "saint " * 20})
    assert response.status_code == 400
    assert "search" in response.json()


@pytest.mark.django_db
def test_a_search_reads_its_matches_in_one_query(all_communes: None, anon: APIClient,
                                                  django_assert_num_queries: Callable) -> None:  # fmt: skip
    with django_assert_num_queries(1):
        body = anon.get("/api/v1/communes", {"search": "saint paul"}).json()
    assert body["count"] == Commune.objects.search("saint paul").count() > 50
    assert len(body["results"]) == 50


@pytest.mark.django_db
def test_pages_follow_each_other_and_past_the_last_is_a_404(all_communes: None, anon: APIClient) -> None:
    count = Commune.objects.search("saint paul").count()
    pages = [anon.get("/api/v1/communes", {"search": "saint paul", "page": str(n), "page_size": "20"}).json()
             for n in range(1, 5)]  # fmt: skip
    assert all(page["count"] == count for page in pages)
    seen = [c["insee"] + c["type"] for page in pages for c in page["results"]]
    assert len(seen) == len(set(seen)) == count
    assert pages[-1]["next"] is None and pages[-1]["previous"]
    for page in ["5", "0", "abc"]:
        response = anon.get("/api/v1/communes", {"search": "saint paul", "page": page, "page_size": "20"})
        assert response.status_code == 404
        assert set(response.json()) == {"detail"}
    last = anon.get("/api/v1/communes", {"search": "saint paul", "page": "last", "page_size": "20"}).json()
    assert last["results"] == pages[-1]["results"]
    empty = anon.get("/api/v1/communes", {"search": "zzzz"}).json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}
