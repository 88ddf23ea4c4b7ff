"""The yearly balance as a page's tables and as open-data CSV rows: the same figures, from the same dict."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CSV_HEADER = ["scope", "code", "name", "year", "figure", "value", "suppressed", "provisional"]


@dataclass(frozen=True)
class Row:
    path: str
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row]


# (path, label, decimals; -1: a share, printed as a percentage)
SECTIONS: list[tuple[Promise, list[tuple[str, Promise, int]]]] = [
    (gettext_lazy("Habitants"), [
        ("people.members", gettext_lazy("Membres du dispositif"), 0),
        ("people.followers", gettext_lazy("Personnes qui suivent les avis"), 0),
    ]),
    (gettext_lazy("Signalements des habitants"), [
        ("moderation.received", gettext_lazy("Reçus"), 0),
        ("moderation.approved", gettext_lazy("Publiés"), 0),
        ("moderation.rejected", gettext_lazy("Refusés"), 0),
        ("moderation.pending", gettext_lazy("En attente"), 0),
        ("moderation.median_minutes_to_approve", gettext_lazy("Délai médian de publication (minutes)"), 1),
    ]),
    (gettext_lazy("Avis à la population et messages de la mairie"), [
        ("warnings.public_warnings", gettext_lazy("Avis de risque émis"), 0),
        ("warnings.mayor_broadcasts", gettext_lazy("Messages de la mairie"), 0),
        ("warnings.messages", gettext_lazy("Envois (mises à jour et fins comprises)"), 0),
        ("warnings.recipients", gettext_lazy("Destinataires"), 0),
        ("warnings.reached_within_5_minutes", gettext_lazy("Atteints en moins de cinq minutes"), 0),
        ("warnings.share_reached_within_5_minutes", gettext_lazy("Part atteinte en moins de cinq minutes (%)"), -1),
    ]),
    (gettext_lazy("SMS, appels et coût estimé"), [
        ("sending.sms_sent", gettext_lazy("SMS envoyés"), 0),
        ("sending.sms_segments", gettext_lazy("Parties de SMS facturées"), 0),
        ("sending.calls", gettext_lazy("Appels vocaux passés"), 0),
        ("sending.call_minutes", gettext_lazy("Minutes d’appel facturées"), 0),
        ("sending.estimated_cost_eur", gettext_lazy("Coût estimé (€)"), 2),
    ]),
]


def shown(balance: dict[str, Any], path: str, decimals: int) -> str:
    """A figure as the page prints it: "< 5" for a withheld count, "non publié" for a withheld share."""
    value = _get(balance, path)
    if path in balance["suppressed"]:
        return f"< {settings.BALANCE_MIN_COUNT}" if path in balance["under_threshold"] else _("non publié")
    if value is None:
        return "—"
    if decimals < 0:  # a share, printed as a percentage
        return number_format(value * 100, 1, use_l10n=True)
    return number_format(value, decimals, use_l10n=True, force_grouping=True)


def sections(balance: dict[str, Any]) -> list[Section]:
    return [Section(str(title), [Row(path, str(label), shown(balance, path, decimals))
                                 for path, label, decimals in rows])
            for title, rows in SECTIONS]  # fmt: skip


def _get(data: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        data = data[key]
    return data


# --- open data --------------------------------------------------------------------------------------------------
def figure_values(line: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every published figure of one line (a commune's or a territory's total) as (path, value)."""
    for block in ("people", "moderation", "warnings", "sending"):
        for key, value in line[block].items():
            yield f"{block}.{key}", value
    if "enrolment" in line:
        enrolment = line["enrolment"]
        yield "enrolment.year", enrolment["year"]
        yield "enrolment.official_level", enrolment["official_level"]
        yield "enrolment.official_before.mean_count", enrolment["official_before"]["mean_count"]
        yield "enrolment.official_after.mean_count", enrolment["official_after"]["mean_count"]
    if isinstance(line.get("official"), list):
        for year in line["official"]:
            yield f"official.{year['year']}.count", year["count"]
            yield f"official.{year['year']}.level", year["level"]
    elif isinstance(line.get("official"), dict):
        for key, value in line["official"].items():
            yield f"official.{key}", value


def csv_rows(balance: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per figure: the territory's total first, then each commune's lines."""
    year, provisional = balance["period"]["year"], balance["period"]["provisional"]
    lines: list[tuple[str, str, str, dict[str, Any]]] = []
    if "territory" in balance:
        territory = balance["territory"]
        lines.append((territory["kind"], territory["code"], territory["name"], balance))
        lines += [("commune", c["commune"]["insee"], c["commune"]["name"], c) for c in balance["communes"]]
    else:
        lines.append(("commune", balance["commune"]["insee"], balance["commune"]["name"], balance))
    for scope, code, name, line in lines:
        for path, value in figure_values(line):
            yield [scope, code, name, year, path, _cell(value), str(path in line["suppressed"]).lower(),
                   str(provisional).lower()]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def csv_text(balance: dict[str, Any]) -> str:
    """UTF-8 without BOM, `;`-separated, decimal point, a header row (RFC 4180 line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(balance))
    return buffer.getvalue()
