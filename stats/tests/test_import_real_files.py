"""The two real SSMSI files shipped in the shared data folder: one per format."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from stats.models import OfficialFigure
from stats.ssmsi import import_ssmsi

from .conftest import DEPARTEMENTAL, REGIONAL

Finder = Callable[[str], Path]


def burglaries(level: str, code: str, year: int) -> OfficialFigure:
    return OfficialFigure.objects.get(level=level, code=code, year=year, indicator_slug="cambriolages_de_logement")


@pytest.mark.django_db
def test_it_imports_the_current_regional_file(ssmsi_file: Finder) -> None:
    result = import_ssmsi(ssmsi_file(REGIONAL))
    assert (result.rows, result.level, result.withheld) == (2916, "region", 0)
    assert result.years == tuple(range(2016, 2025))
    assert OfficialFigure.objects.values("indicator_slug").distinct().count() == 18
    ile_de_france = burglaries("region", "11", 2016)
    assert ile_de_france.indicator == "Cambriolages de logement"
    assert ile_de_france.unite_de_compte == "Infraction"
    assert ile_de_france.count == 49547
    assert ile_de_france.rate_per_thousand == Decimal("8.6385006")
    assert (ile_de_france.population, ile_de_france.population_year) == (12117132, 2016)
    assert (ile_de_france.dwellings, ile_de_france.dwellings_year) == (Decimal(5735602), 2016)
    assert ile_de_france.source == REGIONAL
    assert not ile_de_france.withheld
    paca = burglaries("region", "93", 2024)
    assert (paca.count, paca.rate_per_thousand) == (20755, Decimal("6.5162250"))
    assert (paca.population_year, paca.dwellings_year) == (2022, 2021)


@pytest.mark.django_db
def test_it_imports_the_older_departemental_gzipped_file(ssmsi_file: Finder) -> None:
    result = import_ssmsi(ssmsi_file(DEPARTEMENTAL))
    assert (result.rows, result.level, result.withheld) == (9898, "departement", 0)
    assert result.years == tuple(range(2016, 2023))
    alpes_maritimes = burglaries("departement", "06", 2016)
    assert alpes_maritimes.count == 6046
    assert alpes_maritimes.unite_de_compte == "infraction"
    # Published as 7,93587223747928672 and 761857,0232829786: kept to 10 and 4 decimals.
    assert alpes_maritimes.rate_per_thousand == Decimal("7.9358722375")
    assert alpes_maritimes.dwellings == Decimal("761857.0233")
    assert (alpes_maritimes.population, alpes_maritimes.population_year, alpes_maritimes.dwellings_year) == (
        1083704, 2016, 2016,
    )  # fmt: skip
    assert burglaries("departement", "2A", 2022).count == 173
    assert burglaries("departement", "971", 2021).count == 933
    assert burglaries("departement", "2A", 2022).rate_per_thousand == Decimal("1.3991050225")


@pytest.mark.django_db
def test_it_is_idempotent(ssmsi_file: Finder) -> None:
    import_ssmsi(ssmsi_file(REGIONAL))
    first = list(OfficialFigure.objects.order_by("pk").values_list("pk", "count", "rate_per_thousand"))
    assert import_ssmsi(ssmsi_file(REGIONAL)).rows == 2916
    assert list(OfficialFigure.objects.order_by("pk").values_list("pk", "count", "rate_per_thousand")) == first


@pytest.mark.django_db
def test_both_files_live_side_by_side(ssmsi_file: Finder) -> None:
    import_ssmsi(ssmsi_file(REGIONAL))
    import_ssmsi(ssmsi_file(DEPARTEMENTAL))
    assert OfficialFigure.objects.count() == 2916 + 9898
    assert OfficialFigure.objects.filter(level="region").count() == 2916
