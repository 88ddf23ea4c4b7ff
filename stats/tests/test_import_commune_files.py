"""Commune-level bases: withheld small counts, complement values, both editions, plain and gzipped."""

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from stats.models import OfficialFigure
from stats.ssmsi import import_ssmsi

from .conftest import CURRENT_COMMUNE_HEADER, CURRENT_REGION_HEADER, OLDER_COMMUNE_HEADER

Writer = Callable[..., Path]
WITHHELD = '"06128";"2023";"Cambriolages de logement";"Infraction";"NA";"NA";"ndiff";"3477";"2021";"2500";"2021";"2,05";"1,234"'
PUBLISHED = '"06128";"2024";"Cambriolages de logement";"Infraction";"12";"4,8";"diff";"3477";"2021";"2500";"2021";"NA";"NA"'


def figure(code: str, year: int) -> OfficialFigure:
    return OfficialFigure.objects.get(code=code, year=year, indicator_slug="cambriolages_de_logement")


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["communes.csv", "communes.csv.gz"])
def test_it_keeps_withheld_values_as_withheld_not_zero(write_csv: Writer, name: str) -> None:
    result = import_ssmsi(write_csv(CURRENT_COMMUNE_HEADER, WITHHELD, PUBLISHED, name=name))
    assert (result.rows, result.level, result.withheld, result.years) == (2, "commune", 1, (2023, 2024))
    withheld = figure("06128", 2023)
    assert withheld.withheld
    assert withheld.count is None
    assert withheld.rate_per_thousand is None
    assert withheld.complement_count == Decimal("2.05")
    assert withheld.complement_rate == Decimal("1.234")
    published = figure("06128", 2024)
    assert not published.withheld
    assert (published.count, published.rate_per_thousand) == (12, Decimal("4.8"))
    assert (published.complement_count, published.complement_rate) == (None, None)
    assert (published.population, published.dwellings, published.dwellings_year) == (3477, Decimal(2500), 2021)


@pytest.mark.django_db
def test_it_reads_the_older_commune_edition(write_csv: Writer) -> None:
    path = write_csv(
        OLDER_COMMUNE_HEADER,
        "06128;22;Cambriolages de logement;infraction;ndiff;NA;NA;3,5;1,42;3477;20;2460,5;20",
        "2A004;22;Cambriolages de logement;infraction;diff;398;9,4;NA;NA;71361;20;42340;20",
    )
    assert import_ssmsi(path).rows == 2
    saint_paul = figure("06128", 2022)
    assert (saint_paul.withheld, saint_paul.count, saint_paul.complement_count) == (True, None, Decimal("3.5"))
    assert (saint_paul.population_year, saint_paul.dwellings) == (2020, Decimal("2460.5"))
    ajaccio = figure("2A004", 2022)
    assert (ajaccio.withheld, ajaccio.count, ajaccio.rate_per_thousand) == (False, 398, Decimal("9.4"))


@pytest.mark.django_db
def test_a_published_zero_stays_zero(write_csv: Writer) -> None:
    import_ssmsi(write_csv(CURRENT_REGION_HEADER, '"94";"2024";"Homicides";"Victime";"0";"0";"351255";"2022";"";""'))
    homicides = OfficialFigure.objects.get()
    assert (homicides.count, homicides.withheld, homicides.dwellings) == (0, False, None)


@pytest.mark.django_db
def test_a_reimport_updates_the_figures_in_place(write_csv: Writer) -> None:
    import_ssmsi(write_csv(CURRENT_COMMUNE_HEADER, WITHHELD))
    pk = figure("06128", 2023).pk
    # The next edition publishes what was withheld.
    import_ssmsi(write_csv(CURRENT_COMMUNE_HEADER, WITHHELD.replace('"NA";"NA";"ndiff"', '"3";"1,2";"diff"')))
    updated = figure("06128", 2023)
    assert (updated.pk, updated.withheld, updated.count) == (pk, False, 3)
    assert OfficialFigure.objects.count() == 1
