"""The gendarmerie's export: one row per commune, month and category, streamed as CSV, XLSX or JSON.

Who may export what is decided here (`export_scope`), every export is written to the audit log before the
first byte leaves (`record_export`), and the rows come from one grouped query read in chunks
(`export_rows`), so that a département over years never sits in memory nor times out.
"""

import csv
import io
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from accounts.models import User
from alerts.models import Alert
from audit.services import audit_record
from communes import access
from communes.models import Commune, CommuneType, GendarmeArea, TerritoryKind
from communes.territories import territory_q
from vigilants.categories import Category

from .aggregates import BURGLARIES, approved_reports
from .official import OfficialYear, official_burglaries_for
from .periods import DateRange, local_date, trunc
from .services import per_thousand
from .territory_access import reads_territory

CHUNK = 2000
FIELDS = ["insee", "commune", "departement", "period", "category", "count", "burglary_rate_per_1000", "population",
          "official_year", "official_level", "official_count", "official_withheld"]  # fmt: skip


@dataclass(frozen=True)
class ExportScope:
    """What an export covers: a département, an intercommunality and/or listed communes, within what the user may
    read."""

    departement: str | None
    communes: list[Commune]
    allowed: Q | None  # on alerts; None: anywhere (staff)
    epci: str | None = None  # its SIREN

    def alerts(self, date_range: DateRange) -> QuerySet[Alert]:
        alerts = approved_reports(date_range)
        if self.departement:
            alerts = alerts.filter(commune__departement=self.departement)
        if self.epci:
            alerts = alerts.filter(territory_q(TerritoryKind.EPCI, self.epci, "commune__"), commune__type=CommuneType.COMMUNE)
        if self.communes:
            alerts = alerts.filter(commune__in=[c.pk for c in self.communes])
        return alerts if self.allowed is None else alerts.filter(self.allowed)


def export_scope(user: User, *, departement: str | None = None, insee_codes: Iterable[str] = (),
                 epci: str | None = None) -> ExportScope:  # fmt: skip
    """Staff: anywhere. Gendarmes: their area (a whole département only if it is theirs). Territory operators:
    their territory's communes (`departement=` or `epci=` only their own). Mayors and referents: their own
    communes. An unknown commune is 404; anything outside the user's area is 403, before any data."""
    communes = [_commune(code) for code in insee_codes]
    if user.is_staff:
        return ExportScope(departement, communes, None, epci)
    readable = access.stats_communes(user)
    outside = {c.pk for c in communes} - set(readable.filter(pk__in=[c.pk for c in communes]).values_list("pk", flat=True))
    wide = (departement and not _covers(user, departement)) or (epci and not reads_territory(user, TerritoryKind.EPCI, epci))
    if outside or wide or not readable.exists():
        raise PermissionDenied(_("Hors de votre zone : export refusé."))
    return ExportScope(departement, communes, Q(commune__in=readable.values("pk")), epci)


def _commune(insee: str) -> Commune:
    commune = Commune.objects.by_insee(insee)
    if commune is None:
        raise Http404
    return commune


def _covers(user: User, departement: str) -> bool:
    """A gendarme of that département, or its operator (an EPCI's operator exports with `epci=`)."""
    return (GendarmeArea.objects.filter(user=user, departement=departement).exists()
            or access.operates_territory(user, TerritoryKind.DEPARTEMENT, departement))  # fmt: skip


def _grouped(alerts: QuerySet[Alert]) -> QuerySet:
    return (
        alerts.annotate(period=trunc("month")).values("commune_id", "period", "category").annotate(n=Count("id"))
        .order_by("commune__insee", "period", "category")
    )  # fmt: skip


@dataclass
class Export:
    """A prepared export: its row count and communes are known (and audited) before streaming starts."""

    scope: ExportScope
    date_range: DateRange
    row_count: int
    communes: dict[int, Commune]
    official: dict[str, list[OfficialYear]]
    categories: tuple[str, ...] = ()  # none: every category

    def alerts(self) -> QuerySet[Alert]:
        return _of_categories(self.scope.alerts(self.date_range), self.categories)

    def rows(self) -> Iterator[dict[str, Any]]:
        grouped = _grouped(self.alerts())
        for row in grouped.iterator(chunk_size=CHUNK):
            # A commune whose first alert was approved after `prepare_export`: looked up, not a crash.
            commune = self.communes.get(row["commune_id"]) or Commune.objects.get(pk=row["commune_id"])
            yield export_row(commune, row, self.official)


def prepare_export(scope: ExportScope, date_range: DateRange, categories: Iterable[str] = ()) -> Export:
    """`categories` (codes) narrow the rows to those categories, as the département page's filter does."""
    alerts = _of_categories(scope.alerts(date_range), tuple(categories))
    concerned = Commune.objects.filter(pk__in=alerts.values("commune_id")).order_by()
    communes = {c.pk: c for c in concerned} | {c.pk: c for c in scope.communes}
    official = official_burglaries_for(communes.values())
    return Export(scope, date_range, _grouped(alerts).count(), communes, official, tuple(categories))


def _of_categories(alerts: QuerySet[Alert], categories: tuple[str, ...]) -> QuerySet[Alert]:
    return alerts.filter(category__in=categories) if categories else alerts


def export_row(commune: Commune, row: dict[str, Any], official: dict[str, list[OfficialYear]]) -> dict[str, Any]:
    period = local_date(row["period"])
    figure = _official_for(official.get(commune.insee, []), period.year)
    burglary = row["category"] in BURGLARIES
    return {
        "insee": commune.insee, "commune": commune.name, "departement": commune.departement,
        "period": f"{period:%Y-%m}", "category": row["category"], "count": row["n"],
        "burglary_rate_per_1000": per_thousand(row["n"], commune.population) if burglary else None,
        "population": commune.population,
        "official_year": figure and figure.year, "official_level": figure and figure.level,
        "official_count": figure and figure.count, "official_withheld": figure and figure.withheld,
    }  # fmt: skip


def _official_for(years: list[OfficialYear], year: int) -> OfficialYear | None:
    """That year's official figure, else the latest one loaded (the row says which year it is)."""
    same = [y for y in years if y.year == year]
    return same[0] if same else (years[-1] if years else None)


def record_export(user: User, export: Export, fmt: str) -> None:
    """One audit entry per commune concerned (its mayor sees it), and one without commune for staff."""
    details = {
        "format": fmt, "from": export.date_range.start.isoformat(), "to": export.date_range.end.isoformat(),
        "departement": export.scope.departement, "communes": [c.insee for c in export.scope.communes],
        "rows": export.row_count, "communes_in_export": len(export.communes), "categories": list(export.categories),
    }  # fmt: skip
    if export.scope.epci:
        details["epci"] = export.scope.epci
    with transaction.atomic():
        audit_record(actor=user, action="stats.exported", obj=user, after=details)
        for commune in sorted(export.communes.values(), key=lambda c: c.insee):
            audit_record(actor=user, action="stats.exported", obj=commune, commune=commune, after=details)


def csv_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """The French spreadsheet convention: UTF-8 with BOM, `;`, decimal comma, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    yield "\ufeff".encode() + _drain(buffer)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_french(_shown(field, row[field])) for field in FIELDS])
        if number % 500 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data


def _shown(field: str, value: object) -> object:
    """In the spreadsheets a person reads, the category's French name; JSON keeps its code for programs."""
    if field == "category" and value in Category.values:
        return str(Category(value).label)
    return value


def _french(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, float):
        return f"{value:.3f}".replace(".", ",")
    return str(value)


def headers() -> list[str]:
    return [_("code INSEE"), _("commune"), _("département"), _("période"), _("catégorie"), _("nombre"),
            _("cambriolages pour 1 000 habitants"), _("population"), _("année du chiffre officiel"),
            _("niveau du chiffre officiel"), _("cambriolages de logement (officiel)"),
            _("chiffre officiel non diffusé")]  # fmt: skip


def json_chunks(rows: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """A JSON list, written as it is read."""
    yield b"["
    for number, row in enumerate(rows):
        yield (b",\n" if number else b"\n") + json.dumps(row, ensure_ascii=False).encode()
    yield b"\n]\n"


def xlsx_file(rows: Iterator[dict[str, Any]]) -> IO[bytes]:
    """An XLSX workbook written in openpyxl's write-only mode to a temporary file (deleted when closed)."""
    from openpyxl import Workbook  # imported here: only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Statistiques"))
    sheet.append(headers())
    for row in rows:
        sheet.append([_xlsx(_shown(field, row[field])) for field in FIELDS])
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse that streams it
    workbook.save(output)
    output.seek(0)
    return output


def _xlsx(value: object) -> object:
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return value
