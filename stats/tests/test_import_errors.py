"""A bad file changes nothing, and the error says which line and why."""

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from stats.models import OfficialFigure
from stats.ssmsi import SsmsiFileError, import_ssmsi

from .conftest import CURRENT_REGION_HEADER

Writer = Callable[..., Path]
GOOD = '"11";"2016";"Cambriolages de logement";"Infraction";"49547";"8,6385006";"12117132";"2016";"5735602";"2016"'
OTHER = '"93";"2016";"Cambriolages de logement";"Infraction";"25695";"8,4550913";"5021928";"2016";"3038997";"2016"'


def bad(column: int, value: str) -> str:
    """OTHER with one field replaced."""
    fields = OTHER.split(";")
    fields[column] = f'"{value}"'
    return ";".join(fields)


@pytest.fixture
def existing(write_csv: Writer) -> list[tuple]:
    import_ssmsi(write_csv(CURRENT_REGION_HEADER, GOOD.replace('"2016"', '"2015"', 1), name="before.csv"))
    return snapshot()


def snapshot() -> list[tuple]:
    return list(OfficialFigure.objects.values_list("level", "code", "year", "count", "imported_at"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (bad(1, "20x6"), "annee : année invalide : '20x6'"),
        (bad(1, "216"), "annee : année invalide"),
        (bad(1, ""), "annee : année invalide : ''"),
        (bad(4, "25 695"), "nombre n'est pas un entier"),
        (bad(4, "-3"), "nombre n'est pas un entier"),
        (bad(5, "8,45,5"), "taux_pour_mille n'est pas un nombre"),
        (bad(5, "12345678"), "taux_pour_mille est trop grand"),
        (bad(6, "beaucoup"), "insee_pop n'est pas un entier"),
        (bad(7, "2O16"), "insee_pop_millesime : année invalide"),
        (bad(0, "9"), "code géographique invalide"),
        (bad(2, "--"), "indicateur invalide"),
        (OTHER.rsplit(";", 1)[0], "nombre de colonnes incorrect : 9 au lieu de 10"),
        (OTHER + ';"x"', "nombre de colonnes incorrect : 11 au lieu de 10"),
        (GOOD, "doublon : 11 Cambriolages de logement 2016"),
    ],
)
def test_it_rejects_a_bad_line_and_changes_nothing(write_csv: Writer, existing: list[tuple], bad_line: str, message: str) -> None:
    with pytest.raises(SsmsiFileError, match=f"^ligne 3 : {message}"):
        import_ssmsi(write_csv(CURRENT_REGION_HEADER, GOOD, bad_line))
    assert snapshot() == existing


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "message"),
    [
        (CURRENT_REGION_HEADER.replace(';"taux_pour_mille"', ""), "colonnes manquantes : taux_pour_mille"),
        (CURRENT_REGION_HEADER.replace('"Code_region"', '"Code_pays"'), "colonne géographique manquante"),
        (CURRENT_REGION_HEADER.replace('"indicateur"', '"libelle"'), "colonne manquante : « indicateur »"),
    ],
)
def test_it_rejects_a_bad_header(write_csv: Writer, existing: list[tuple], header: str, message: str) -> None:
    with pytest.raises(SsmsiFileError, match=f"^ligne 1 : {message}"):
        import_ssmsi(write_csv(header, GOOD))
    assert snapshot() == existing


@pytest.mark.django_db
def test_a_bad_line_after_several_batches_rolls_them_all_back(write_csv: Writer, existing: list[tuple]) -> None:
    lines = [GOOD.replace('"2016"', f'"{year}"', 1) for year in range(2016, 2024)]
    with pytest.raises(SsmsiFileError, match=r"^ligne 10 : "):
        import_ssmsi(write_csv(CURRENT_REGION_HEADER, *lines, bad(1, "x")), batch_size=2)
    assert snapshot() == existing


@pytest.mark.django_db
def test_it_rejects_an_empty_or_unreadable_file(write_csv: Writer, tmp_path: Path) -> None:
    with pytest.raises(SsmsiFileError, match=r"^ligne 2 : aucune ligne de données"):
        import_ssmsi(write_csv(CURRENT_REGION_HEADER))
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    with pytest.raises(SsmsiFileError, match=r"^ligne 1 : fichier vide"):
        import_ssmsi(empty)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((CURRENT_REGION_HEADER + "\n" + bad(2, "Vols de véhicules") + "\n").encode("latin-1"))
    with pytest.raises(SsmsiFileError, match="fichier illisible"):
        import_ssmsi(latin1)
    truncated = tmp_path / "tronque.csv.gz"
    truncated.write_bytes(gzip.compress((CURRENT_REGION_HEADER + "\n" + GOOD + "\n").encode())[:-10])
    with pytest.raises(SsmsiFileError, match="fichier illisible"):
        import_ssmsi(truncated)
    assert not OfficialFigure.objects.exists()


@pytest.mark.django_db
def test_the_command_imports_each_file_and_says_how_many(write_csv: Writer) -> None:
    first = write_csv(CURRENT_REGION_HEADER, GOOD, name="reg.csv")
    second = write_csv(CURRENT_REGION_HEADER, OTHER, name="reg2.csv.gz")
    out = call_command_output(str(first), str(second))
    assert f"1 lignes importées depuis {first} (niveau region, 0 non diffusées, années 2016)" in out
    assert f"1 lignes importées depuis {second}" in out
    assert OfficialFigure.objects.count() == 2


@pytest.mark.django_db
def test_the_command_names_the_line_and_keeps_nothing_of_the_bad_file(write_csv: Writer) -> None:
    good = write_csv(CURRENT_REGION_HEADER, GOOD, name="good.csv")
    broken = write_csv(CURRENT_REGION_HEADER, OTHER, bad(1, "x"), name="bad.csv")
    with pytest.raises(CommandError, match=r"bad\.csv, ligne 3 : annee : année invalide.*good\.csv"):
        call_command("import_ssmsi", str(good), str(broken))
    assert list(OfficialFigure.objects.values_list("code", flat=True)) == ["11"]


@pytest.mark.django_db
def test_the_command_reports_a_missing_file() -> None:
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_ssmsi", "/nonexistent.csv")


def call_command_output(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_ssmsi", *args, stdout=out)
    return out.getvalue()
