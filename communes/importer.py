"""Loading the reference list of communes (INSEE COG, IGN ADMIN EXPRESS, La Poste) from CSV.

All or nothing: every line is parsed and checked before the database is touched, and the
upsert runs in one transaction. Running it twice leaves the same rows.
"""

import csv
import gzip
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.db import transaction

from .answers import data_changed
from .models import Commune, CommuneType
from .text import normalize_name

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "communes-fr.csv.gz"
COLUMNS = [
    "code_insee", "type", "name", "parent_code", "departement_code", "departement_name", "region_code",
    "region_name", "epci_siren", "epci_name", "population", "latitude", "longitude", "bbox_south",
    "bbox_west", "bbox_north", "bbox_east", "postal_codes",
]  # fmt: skip
UPDATABLE = [
    "name", "search_name", "parent_insee", "departement", "departement_name", "region", "region_name",
    "epci_siren", "epci_name", "population", "latitude", "longitude", "bbox_south", "bbox_west",
    "bbox_north", "bbox_east", "postal_codes",
]  # fmt: skip
# Municipal sectors of Paris, Lyon and Marseille carry a suffix: 13055SR01.
_INSEE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}(?:SR[0-9]{2})?$")
_POSTAL = re.compile(r"^[0-9]{5}$")


class CommuneFileError(ValueError):
    """A bad file: says which line and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"ligne {line} : {message}")
        self.line = line


def open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _float(value: str, field: str, line: int) -> float | None:
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise CommuneFileError(line, f"{field} n'est pas un nombre : {value!r}") from None


def _int(value: str, field: str, line: int) -> int | None:
    if value == "":
        return None
    if not value.isdigit():
        raise CommuneFileError(line, f"{field} n'est pas un entier : {value!r}")
    return int(value)


def parse_row(row: dict[str, str], line: int) -> Commune:
    insee = row["code_insee"]
    if not _INSEE.match(insee):
        raise CommuneFileError(line, f"code INSEE invalide : {insee!r}")
    if row["type"] not in CommuneType.values:
        raise CommuneFileError(line, f"type inconnu : {row['type']!r}")
    if not row["name"]:
        raise CommuneFileError(line, "nom manquant")
    postal_codes = row["postal_codes"].split()
    if any(not _POSTAL.match(code) for code in postal_codes):
        raise CommuneFileError(line, f"code postal invalide : {row['postal_codes']!r}")
    return Commune(
        insee=insee, type=row["type"], name=row["name"], search_name=normalize_name(row["name"]),
        parent_insee=row["parent_code"], departement=row["departement_code"],
        departement_name=row["departement_name"], region=row["region_code"], region_name=row["region_name"],
        epci_siren=row["epci_siren"], epci_name=row["epci_name"],
        population=_int(row["population"], "population", line),
        latitude=_float(row["latitude"], "latitude", line), longitude=_float(row["longitude"], "longitude", line),
        bbox_south=_float(row["bbox_south"], "bbox_south", line), bbox_west=_float(row["bbox_west"], "bbox_west", line),
        bbox_north=_float(row["bbox_north"], "bbox_north", line), bbox_east=_float(row["bbox_east"], "bbox_east", line),
        postal_codes=" ".join(postal_codes),
    )  # fmt: skip


def parse(lines: Iterable[str]) -> Iterator[Commune]:
    reader = csv.DictReader(lines)
    missing = set(COLUMNS) - set(reader.fieldnames or [])
    if missing:
        raise CommuneFileError(1, f"colonnes manquantes : {', '.join(sorted(missing))}")
    seen: set[tuple[str, str]] = set()
    for row in reader:
        line = reader.line_num
        if None in row or any(value is None for value in row.values()):
            raise CommuneFileError(line, "nombre de colonnes incorrect")
        commune = parse_row(row, line)
        key = (commune.insee, commune.type)
        if key in seen:
            raise CommuneFileError(line, f"doublon : {commune.insee} {commune.type}")
        seen.add(key)
        yield commune


def import_communes(path: Path = DEFAULT_PATH, batch_size: int = 2000) -> int:
    """Parse the whole file first, then upsert in one transaction. Returns the number of rows."""
    try:
        with open_text(path) as handle:
            communes = list(parse(handle))
    except (UnicodeDecodeError, csv.Error, gzip.BadGzipFile, EOFError) as exc:
        raise CommuneFileError(0, f"fichier illisible : {exc}") from exc
    with transaction.atomic():
        Commune.objects.bulk_create(
            communes,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["insee", "type"],
            update_fields=UPDATABLE,
        )
        data_changed()  # bulk_create sends no signal
    return len(communes)
