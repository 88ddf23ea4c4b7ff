"""The read service: a commune's official burglaries, falling back to its département year by year."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from communes.models import Commune
from stats.official import BURGLARIES, OfficialYear, official_burglaries, official_burglaries_for
from stats.ssmsi import import_ssmsi

from .conftest import CURRENT_COMMUNE_HEADER, DEPARTEMENTAL
from .test_import_commune_files import PUBLISHED, WITHHELD


@pytest.fixture
def loaded(ssmsi_file: Callable[[str], Path], write_csv: Callable[..., Path]) -> None:
    """The real départemental file (2016-2022) and a commune base for Saint-Paul-de-Vence (2023-2024)."""
    import_ssmsi(ssmsi_file(DEPARTEMENTAL))
    import_ssmsi(write_csv(CURRENT_COMMUNE_HEADER, WITHHELD, PUBLISHED))


def commune(insee: str, departement: str) -> Commune:
    return Commune.objects.create(insee=insee, name=insee, departement=departement, region="93")


@pytest.mark.django_db
def test_it_falls_back_to_the_departement_and_flags_withheld_years(loaded: None) -> None:
    years = official_burglaries(commune("06128", "06"))
    assert [(y.year, y.level) for y in years] == [(year, "departement") for year in range(2016, 2023)] + [
        (2023, "commune"), (2024, "commune"),
    ]  # fmt: skip
    assert years[0] == OfficialYear(
        year=2016, level="departement", code="06", count=6046, rate_per_thousand=Decimal("7.9358722375"),
        withheld=False, complement_count=None, complement_rate=None, unite_de_compte="infraction",
    )  # fmt: skip
    withheld, published = years[-2:]
    assert (withheld.withheld, withheld.count, withheld.complement_count) == (True, None, Decimal("2.05"))
    assert withheld.complement_rate == Decimal("1.234")
    assert (published.withheld, published.count, published.rate_per_thousand) == (False, 12, Decimal("4.8"))


@pytest.mark.django_db
def test_it_gives_the_departement_for_a_commune_not_loaded(loaded: None) -> None:
    vence = official_burglaries(commune("06157", "06"), years=[2021, 2022, 2023])
    assert [(y.year, y.level, y.code, y.count) for y in vence] == [
        (2021, "departement", "06", 3570), (2022, "departement", "06", 3474),
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_bulk_variant_reads_many_communes_in_one_query(
    loaded: None, django_assert_num_queries: Callable[..., object]
) -> None:
    communes = [commune("06128", "06"), commune("2A004", "2A"), commune("97105", "971"), commune("99999", "99")]
    with django_assert_num_queries(1):  # type: ignore[attr-defined]
        found = official_burglaries_for(communes, years=range(2022, 2025))
    assert [(y.year, y.level, y.count) for y in found["06128"]] == [
        (2022, "departement", 3474), (2023, "commune", None), (2024, "commune", 12),
    ]  # fmt: skip
    assert [(y.year, y.code, y.count) for y in found["2A004"]] == [(2022, "2A", 173)]
    assert [(y.year, y.code, y.count) for y in found["97105"]] == [(2022, "971", 1008)]
    assert found["99999"] == []


def test_the_burglary_slug_is_the_published_label_slugified() -> None:
    from stats.ssmsi import indicator_slug

    assert BURGLARIES == indicator_slug("Cambriolages de logement") == "cambriolages_de_logement"
    assert official_burglaries_for([]) == {}
