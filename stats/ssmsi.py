"""Loading the SSMSI's official recorded-crime figures (data.gouv.fr, Licence Ouverte) from CSV.

Reads the régional, départemental and communal bases, in the current edition's format (``indicateur``,
``nombre``, four-digit years) and in the older one (``classe``, ``faits``, two-digit years), plain or
gzipped: UTF-8 with BOM, ``;``-separated, quoted or not, decimal comma.

All or nothing and idempotent, like the communes import: the commune-level base has millions of lines, so
it is parsed as a stream and upserted in batches inside one transaction; a bad line anywhere raises
``SsmsiFileError`` naming it, and the transaction rolls every batch back.
"""

import csv
import gzip
import io
import re
from _csv import Reader
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import overload

from django.db import reset_queries, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import cache
from .models import GeographyLevel, OfficialFigure

BATCH_SIZE = 5000
WITHHELD_MARKERS = frozenset({"", "NA", "N/A", "nd", "ndiff"})
UPDATABLE = [
    "indicator", "unite_de_compte", "count", "rate_per_thousand", "withheld", "complement_count",
    "complement_rate", "population", "population_year", "dwellings", "dwellings_year", "source", "imported_at",
]  # fmt: skip

# Field -> column, per edition. The optional columns only exist in the commune-level bases.
CURRENT_COLUMNS = {
    "year": "annee", "indicator": "indicateur", "unit": "unite_de_compte", "count": "nombre",
    "rate": "taux_pour_mille", "population": "insee_pop", "population_year": "insee_pop_millesime",
    "dwellings": "insee_log", "dwellings_year": "insee_log_millesime",
}  # fmt: skip
CURRENT_OPTIONAL = {
    "published": "est_diffuse", "complement_count": "complement_info_nombre",
    "complement_rate": "complement_info_taux",
}  # fmt: skip
OLDER_COLUMNS = {
    "year": "annee", "indicator": "classe", "unit": "unité.de.compte", "count": "faits", "rate": "tauxpourmille",
    "population": "POP", "population_year": "millPOP", "dwellings": "LOG", "dwellings_year": "millLOG",
}  # fmt: skip
OLDER_OPTIONAL = {
    "published": "valeur.publiée", "complement_count": "complementinfoval", "complement_rate": "complementinfotaux",
}  # fmt: skip
# Most specific first: a département file also carries its région's code.
GEOGRAPHY_COLUMNS = [
    (re.compile(r"^CODGEO_[0-9]{4}$"), GeographyLevel.COMMUNE),
    (re.compile(r"^Code[._]d[ée]partement$"), GeographyLevel.DEPARTEMENT),
    (re.compile(r"^Code[._]r[ée]gion$"), GeographyLevel.REGION),
]
CODE_PATTERNS = {
    GeographyLevel.COMMUNE: re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$"),
    GeographyLevel.DEPARTEMENT: re.compile(r"^(?:[0-9]{2}|2A|2B|97[0-9])$"),
    GeographyLevel.REGION: re.compile(r"^[0-9]{2}$"),
}
_YEAR = re.compile(r"^(?:[0-9]{2}|(?:19|20)[0-9]{2})$")
_INTEGER = re.compile(r"^[0-9]+$")
_DECIMAL = re.compile(r"^[0-9]+(?:[.,][0-9]+)?$")


class SsmsiFileError(ValueError):
    """A bad file: says which line and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"ligne {line} : {message}")
        self.line = line


@dataclass(frozen=True)
class ImportResult:
    rows: int
    level: str
    source: str
    withheld: int
    years: tuple[int, ...]


@dataclass(frozen=True)
class Layout:
    """Where each field sits in a file's lines, found from its header."""

    level: GeographyLevel
    width: int
    geography: int
    columns: dict[str, int]
    names: dict[str, str]


def open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_layout(header: list[str]) -> Layout:
    header = [name.strip() for name in header]
    if "indicateur" in header:
        required, optional = CURRENT_COLUMNS, CURRENT_OPTIONAL
    elif "classe" in header:
        required, optional = OLDER_COLUMNS, OLDER_OPTIONAL
    else:
        raise SsmsiFileError(1, "colonne manquante : « indicateur » (ou « classe »)")
    missing = [name for name in required.values() if name not in header]
    if missing:
        raise SsmsiFileError(1, f"colonnes manquantes : {', '.join(missing)}")
    level, geography = _geography(header)
    names = {field: name for field, name in {**required, **optional}.items() if name in header}
    columns = {field: header.index(name) for field, name in names.items()}
    return Layout(level=level, width=len(header), geography=geography, columns=columns, names=names)


def _geography(header: list[str]) -> tuple[GeographyLevel, int]:
    for pattern, level in GEOGRAPHY_COLUMNS:
        for index, name in enumerate(header):
            if pattern.match(name):
                return level, index
    raise SsmsiFileError(1, "colonne géographique manquante : Code_region, Code_departement ou CODGEO_<année>")


def _missing(value: str) -> bool:
    return value in WITHHELD_MARKERS


@overload
def _year(value: str, field: str, line: int) -> int: ...
@overload
def _year(value: str, field: str, line: int, *, required: bool) -> int | None: ...
def _year(value: str, field: str, line: int, *, required: bool = True) -> int | None:
    if not required and _missing(value):
        return None
    if not _YEAR.match(value):
        raise SsmsiFileError(line, f"{field} : année invalide : {value!r}")
    # The older editions write 16 for 2016.
    return 2000 + int(value) if len(value) == 2 else int(value)


def _integer(value: str, field: str, line: int) -> int | None:
    if _missing(value):
        return None
    if not _INTEGER.match(value) or len(value) > 9:
        raise SsmsiFileError(line, f"{field} n'est pas un entier : {value!r}")
    return int(value)


def _decimal(value: str, field: str, line: int, places: int, max_digits: int = 16) -> Decimal | None:
    if _missing(value):
        return None
    if not _DECIMAL.match(value):
        raise SsmsiFileError(line, f"{field} n'est pas un nombre : {value!r}")
    number = Decimal(value.replace(",", "."))
    if number >= 10 ** (max_digits - places):
        raise SsmsiFileError(line, f"{field} est trop grand : {value!r}")
    return number.quantize(Decimal(1).scaleb(-places))


_slugs: dict[str, str] = {}


def indicator_slug(label: str) -> str:
    """``Cambriolages de logement`` -> ``cambriolages_de_logement``; cached: a handful of labels, millions of lines."""
    slug = _slugs.get(label)
    if slug is None:
        slug = _slugs[label] = slugify(label).replace("-", "_")
    return slug


class _SeenKeys:
    """The (code, indicator, year) keys already read, to refuse a duplicate line.

    One bitmask integer per code (a bit per indicator and year) keeps this to a few megabytes for the
    35,000 communes, where a set of millions of tuples would take gigabytes.
    """

    FIRST_YEAR, YEAR_SPAN = 1900, 200

    def __init__(self) -> None:
        self._indicators: dict[str, int] = {}
        self._masks: dict[str, int] = {}

    def add(self, code: str, slug: str, year: int) -> bool:
        """Record the key; False when it was already there."""
        indicator = self._indicators.setdefault(slug, len(self._indicators))
        bit = 1 << (indicator * self.YEAR_SPAN + year - self.FIRST_YEAR)
        mask = self._masks.get(code, 0)
        if mask & bit:
            return False
        self._masks[code] = mask | bit
        return True


@dataclass(frozen=True)
class _Context:
    layout: Layout
    source: str
    imported_at: datetime


def _cell(values: list[str], layout: Layout, field: str) -> str:
    index = layout.columns.get(field)
    return "" if index is None else values[index].strip()


def parse_row(values: list[str], line: int, context: _Context) -> OfficialFigure:
    layout = context.layout
    names = layout.names
    code = values[layout.geography].strip()
    if not CODE_PATTERNS[layout.level].match(code):
        raise SsmsiFileError(line, f"code géographique invalide : {code!r}")
    label = _cell(values, layout, "indicator")
    slug = indicator_slug(label)
    if not slug:
        raise SsmsiFileError(line, f"indicateur invalide : {label!r}")
    published = _cell(values, layout, "published")
    if published not in {"", "diff", "ndiff"}:
        raise SsmsiFileError(line, f"{names['published']} : valeur inconnue : {published!r}")
    count = _integer(_cell(values, layout, "count"), names["count"], line)
    rate = _decimal(_cell(values, layout, "rate"), names["rate"], line, places=10)
    withheld = published == "ndiff" or count is None
    return OfficialFigure(
        level=layout.level, code=code, year=_year(_cell(values, layout, "year"), names["year"], line),
        indicator=label, indicator_slug=slug, unite_de_compte=_cell(values, layout, "unit"),
        count=None if withheld else count, rate_per_thousand=None if withheld else rate, withheld=withheld,
        complement_count=_optional_decimal(values, layout, "complement_count", line, places=6),
        complement_rate=_optional_decimal(values, layout, "complement_rate", line, places=10),
        population=_integer(_cell(values, layout, "population"), names["population"], line),
        population_year=_year(_cell(values, layout, "population_year"), names["population_year"], line,
                              required=False),
        dwellings=_decimal(_cell(values, layout, "dwellings"), names["dwellings"], line, places=4),
        dwellings_year=_year(_cell(values, layout, "dwellings_year"), names["dwellings_year"], line, required=False),
        source=context.source, imported_at=context.imported_at,
    )  # fmt: skip


def _optional_decimal(values: list[str], layout: Layout, field: str, line: int, places: int) -> Decimal | None:
    if field not in layout.columns:
        return None
    return _decimal(_cell(values, layout, field), layout.names[field], line, places=places)


def parse(reader: Reader, context: _Context) -> Iterator[OfficialFigure]:
    """The figures of every data line, checked one by one; raises on the first bad line."""
    seen = _SeenKeys()
    for values in reader:
        line = reader.line_num
        if not values:  # a blank line, usually the last one
            continue
        if len(values) != context.layout.width:
            width = context.layout.width
            raise SsmsiFileError(line, f"nombre de colonnes incorrect : {len(values)} au lieu de {width}")
        figure = parse_row(values, line, context)
        if not seen.add(figure.code, figure.indicator_slug, figure.year):
            raise SsmsiFileError(line, f"doublon : {figure.code} {figure.indicator} {figure.year}")
        yield figure


def _header(reader: Reader) -> list[str]:
    header = next(reader, None)
    if not header:
        raise SsmsiFileError(1, "fichier vide")
    return header


def _save(figures: Iterator[OfficialFigure], batch_size: int) -> tuple[int, int, set[int]]:
    """Upsert in batches so that memory stays bounded whatever the file's size."""
    rows, withheld, years = 0, 0, set()
    batch: list[OfficialFigure] = []
    for figure in figures:
        batch.append(figure)
        rows += 1
        withheld += figure.withheld
        years.add(figure.year)
        if len(batch) >= batch_size:
            _upsert(batch)
            batch = []
    _upsert(batch)
    return rows, withheld, years


def _upsert(batch: list[OfficialFigure]) -> None:
    if batch:
        OfficialFigure.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["level", "code", "year", "indicator_slug"],
            update_fields=UPDATABLE,
        )
        # Under DEBUG, Django keeps every query's SQL: a commune base's batches would add up to gigabytes.
        reset_queries()


def import_ssmsi(path: Path, batch_size: int = BATCH_SIZE) -> ImportResult:
    """Import one SSMSI file in one transaction: every line is saved, or (on a bad line) none is."""
    path = Path(path)
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=";")
        try:
            layout = read_layout(_header(reader))
            context = _Context(layout=layout, source=path.name, imported_at=timezone.now())
            with transaction.atomic():
                rows, withheld, years = _save(parse(reader, context), batch_size)
                if not rows:
                    raise SsmsiFileError(2, "aucune ligne de données")
                cache.forget_all()  # bulk upserts send no post_save: every commune's cached answer goes
        except (UnicodeDecodeError, csv.Error, gzip.BadGzipFile, EOFError, OSError) as exc:
            raise SsmsiFileError(reader.line_num + 1, f"fichier illisible : {exc}") from exc
    return ImportResult(rows=rows, level=str(layout.level), source=path.name, withheld=withheld, years=tuple(sorted(years)))
