from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from communes.importer import CommuneFileError, import_communes
from communes.models import Commune

HEADER = (
    "code_insee,type,name,parent_code,departement_code,departement_name,region_code,region_name,epci_siren,"
    "epci_name,population,latitude,longitude,bbox_south,bbox_west,bbox_north,bbox_east,postal_codes\n"
)
SAINT_PAUL = (
    "06128,COM,Saint-Paul-de-Vence,,06,Alpes-Maritimes,93,Provence-Alpes-Côte d'Azur,,,3477,43.69687,7.12212,"
    "43.67332,7.09568,43.71234,7.14361,06570\n"
)
CORSICA = "2A004,COM,Ajaccio,,2A,Corse-du-Sud,94,Corse,,,71361,41.92,8.73,41.9,8.6,41.95,8.8,20000 20090\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "communes.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_it_imports_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path, SAINT_PAUL + CORSICA)
    assert import_communes(path) == 2
    assert import_communes(path) == 2
    assert Commune.objects.count() == 2
    ajaccio = Commune.objects.get(insee="2A004")
    assert ajaccio.postal_code_list == ["20000", "20090"]
    assert ajaccio.search_name == "ajaccio"


@pytest.mark.django_db
def test_it_keeps_enrolment_when_reimporting(tmp_path: Path) -> None:
    path = write(tmp_path, SAINT_PAUL)
    import_communes(path)
    Commune.objects.filter(insee="06128").update(enrolled=True)
    import_communes(path)
    assert Commune.objects.get(insee="06128").enrolled


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("6128,COM,X,,06,A,93,P,,,1,43,7,43,7,44,8,06570\n", "code INSEE invalide"),
        ("06129,XXX,X,,06,A,93,P,,,1,43,7,43,7,44,8,06570\n", "type inconnu"),
        ("06129,COM,X,,06,A,93,P,,,beaucoup,43,7,43,7,44,8,06570\n", "population"),
        ("06129,COM,X,,06,A,93,P,,,1,nord,7,43,7,44,8,06570\n", "latitude"),
        ("06129,COM,X,,06,A,93,P,,,1,43,7,43,7,44,8,6570\n", "code postal"),
        ("06129,COM,X,,06\n", "colonnes"),
        (SAINT_PAUL, "doublon"),
    ],
)
def test_it_rejects_a_bad_file_whole_and_names_the_line(tmp_path: Path, bad_line: str, message: str) -> None:
    Commune.objects.create(insee="01001", name="Existante", departement="01")
    path = write(tmp_path, SAINT_PAUL + bad_line)
    with pytest.raises(CommuneFileError, match=f"ligne 3 : .*{message}"):
        import_communes(path)
    assert list(Commune.objects.values_list("insee", flat=True)) == ["01001"]


@pytest.mark.django_db
def test_the_command_names_the_line_and_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, SAINT_PAUL + "bad,COM\n")
    with pytest.raises(CommandError, match="ligne 3"):
        call_command("import_communes", str(path))
    assert Commune.objects.count() == 0


@pytest.mark.django_db
def test_the_command_reports_a_missing_file() -> None:
    with pytest.raises(CommandError, match="introuvable"):
        call_command("import_communes", "/nonexistent.csv")


@pytest.mark.django_db
def test_it_loads_every_shipped_commune() -> None:
    count = import_communes()
    assert count == Commune.objects.count() == 37530
    assert Commune.objects.filter(type="COM").count() == 34875
    saint_paul, ajaccio = Commune.objects.by_insee("06128"), Commune.objects.by_insee("2A004")
    assert saint_paul is not None and saint_paul.name == "Saint-Paul-de-Vence"
    assert ajaccio is not None and ajaccio.departement == "2A"
