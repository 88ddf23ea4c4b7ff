"""A commune's audit log as the desk shows it and exports it: who did what, when, and nothing more.

The log's rows keep what the API's audit endpoint returns (snapshots with free text: a refusal's reason, an
alert's description, a broadcast's title). The desk reads only the fields listed here (roles, statuses,
categories, the rules' values, an export's size) and names people by their display name: a reason or a
description may hold an address or a phone number, and the log is kept long after the facts.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from alerts.models import AlertStatus
from audit.models import AuditEntry
from communes.models import Commune, MembershipStatus, Role
from stats.periods import PARIS
from vigilants.categories import Category

ACTIONS: dict[str, Promise] = {
    "membership.enrolled_mayor": gettext_lazy("Premier maire nommé"),
    "membership.first_mayor_named": gettext_lazy("Premier maire remplacé"),
    "commune.enrolled": gettext_lazy("Commune inscrite"),
    "moderation.delegated": gettext_lazy("Modération déléguée au territoire"),
    "moderation.delegation_ended": gettext_lazy("Délégation de la modération reprise"),
    "membership.approved": gettext_lazy("Adhésion acceptée"),
    "membership.rejected": gettext_lazy("Adhésion refusée"),
    "membership.role_changed": gettext_lazy("Rôle changé"),
    "membership.left": gettext_lazy("Départ d’un membre"),
    "membership.removed": gettext_lazy("Membre retiré"),
    "neighbourhood.created": gettext_lazy("Quartier créé"),
    "policy.changed": gettext_lazy("Règles de la commune modifiées"),
    "alert.approved": gettext_lazy("Signalement publié"),
    "alert.auto_approved": gettext_lazy("Signalement publié sans attente"),
    "alert.rejected": gettext_lazy("Signalement refusé"),
    "alert.edited": gettext_lazy("Signalement modifié"),
    "alert.escalated": gettext_lazy("Relance du maire"),
    "alert.followup.end": gettext_lazy("Fin d’alerte"),
    "alert.followup.erratum": gettext_lazy("Rectificatif"),
    "broadcast.sent": gettext_lazy("Message du maire envoyé"),
    "warning.issued": gettext_lazy("Avis de risque émis"),
    "warning.updated": gettext_lazy("Avis de risque mis à jour"),
    "warning.ended": gettext_lazy("Fin d’un avis de risque"),
    "warning_delegate.granted": gettext_lazy("Délégation pour les avis de risque donnée"),
    "warning_delegate.revoked": gettext_lazy("Délégation pour les avis de risque retirée"),
    "risk_policy.changed": gettext_lazy("Règles des avis de risque modifiées"),
    "vigilance.changed": gettext_lazy("Vigilance officielle modifiée"),
    "vigilance.prompted": gettext_lazy("Maire et référents prévenus d’une vigilance en hausse"),
    "vigilance.relayed": gettext_lazy("Vigilance relayée aux habitants"),
    "vigilance.dismissed": gettext_lazy("Vigilance non relayée"),
    "stats.exported": gettext_lazy("Statistiques exportées"),
    "audit.exported": gettext_lazy("Journal exporté"),
}
STATUSES = {**dict(MembershipStatus.choices), **dict(AlertStatus.choices)}
CHUNK = 500


@dataclass(frozen=True)
class Line:
    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


def commune_entries(commune: Commune) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(commune=commune).order_by("-at", "-id")


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def action_choices(commune: Commune) -> list[tuple[str, str]]:
    """The actions found in the commune's log, by their French name."""
    codes = commune_entries(commune).order_by("action").values_list("action", flat=True).distinct()
    return sorted(((code, action_label(code)) for code in codes), key=lambda choice: choice[1])


def filtered(entries: QuerySet[AuditEntry], *, action: str = "", start: date | None = None,
             end: date | None = None) -> QuerySet[AuditEntry]:  # fmt: skip
    """`start` and `end` are Paris days, both included."""
    if action:
        entries = entries.filter(action=action)
    if start:
        entries = entries.filter(at__gte=datetime.combine(start, time.min, tzinfo=PARIS))
    if end:
        entries = entries.filter(at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=PARIS))
    return entries


def lines(entries: Iterable[AuditEntry]) -> list[Line]:
    """The entries as the desk shows them; the members they concern named in one query."""
    entries = list(entries)
    names = _member_names(entries)
    return [
        Line(entry.at, entry.actor_name or _("Système"), action_label(entry.action), _subject(entry, names),
             _detail(entry))
        for entry in entries
    ]  # fmt: skip


def _snapshot(entry: AuditEntry, which: str) -> dict[str, Any]:
    value = getattr(entry, which)
    return value if isinstance(value, dict) else {}


def _member_names(entries: list[AuditEntry]) -> dict[int, str]:
    ids = set()
    for entry in entries:
        if entry.object_type == "membership":
            user = _snapshot(entry, "after").get("user", _snapshot(entry, "before").get("user"))
            if isinstance(user, int):
                ids.add(user)
    users = User.objects.filter(pk__in=ids).values_list("pk", "display_name")
    return {pk: name or f"#{pk}" for pk, name in users}


def _subject(entry: AuditEntry, names: dict[int, str]) -> str:
    before, after = _snapshot(entry, "before"), _snapshot(entry, "after")
    if entry.object_type == "membership":
        user = after.get("user", before.get("user"))
        # Erased since: the log keeps no name of its own for the member.
        name = names.get(user, _("membre effacé")) if isinstance(user, int) else _("membre effacé")
        return _("Adhésion de %(name)s") % {"name": name}
    if entry.object_type == "neighbourhood":
        return _("Quartier « %(name)s »") % {"name": after.get("name", entry.object_id)}
    if entry.object_type == "alert":
        if entry.action == "broadcast.sent":
            return _("Message n° %(id)s") % {"id": entry.object_id}
        return _("Signalement n° %(id)s") % {"id": entry.object_id}
    if entry.object_type == "communepolicy":
        return _("Règles de la commune")
    if entry.object_type == "commune":
        return _("La commune")
    if entry.object_type == "riskwarning":
        return _("Avis de risque n° %(id)s") % {"id": entry.object_id}
    if entry.object_type == "vigilancechange":
        return _("Vigilance n° %(id)s") % {"id": entry.object_id}
    if entry.object_type in ("warningdelegate", "riskpolicy"):
        return _("Avis de risque")
    return f"{entry.object_type} n° {entry.object_id}"


def _detail(entry: AuditEntry) -> str:
    before, after = _snapshot(entry, "before"), _snapshot(entry, "after")
    if entry.object_type == "membership":
        return _membership_detail(entry.action, before, after)
    if entry.action == "policy.changed":
        return _policy_detail(before, after)
    if entry.action.endswith(".exported"):
        return _export_detail(after)
    if entry.object_type == "alert":
        return _alert_detail(before, after)
    return ""


def _label(choices: dict[str, Any], value: Any) -> str:
    return str(choices.get(value, value)) if value is not None else "—"


def _membership_detail(action: str, before: dict[str, Any], after: dict[str, Any]) -> str:
    roles = dict(Role.choices)
    if action == "membership.role_changed":
        return f"{_label(roles, before.get('role'))} → {_label(roles, after.get('role'))}"
    if action in ("membership.left", "membership.removed"):
        return _("rôle : %(role)s") % {"role": _label(roles, before.get("role"))}
    if before.get("status") is None:
        return _label(STATUSES, after.get("status"))
    return f"{_label(STATUSES, before.get('status'))} → {_label(STATUSES, after.get('status'))}"


def _categories(codes: Any) -> str:
    if not isinstance(codes, list) or not codes:
        return _("aucune")
    return ", ".join(_label(dict(Category.choices), code) for code in codes)


def _policy_detail(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    if before.get("escalation_minutes") != after.get("escalation_minutes"):
        parts.append(_("relance après %(before)s → %(after)s min")
                     % {"before": before.get("escalation_minutes"), "after": after.get("escalation_minutes")})  # fmt: skip
    if before.get("auto_approve_categories") != after.get("auto_approve_categories"):
        parts.append(_("publiées sans attendre : %(before)s → %(after)s")
                     % {"before": _categories(before.get("auto_approve_categories")),
                        "after": _categories(after.get("auto_approve_categories"))})  # fmt: skip
    return " ; ".join(parts) or _("inchangées")


def _export_detail(after: dict[str, Any]) -> str:
    return _("%(format)s, du %(start)s au %(end)s, %(rows)s lignes") % {
        "format": str(after.get("format", "")).upper(), "start": after.get("from", "?"), "end": after.get("to", "?"),
        "rows": after.get("rows", "?"),
    }  # fmt: skip


def _alert_detail(before: dict[str, Any], after: dict[str, Any]) -> str:
    state = after or before
    parts = [_label(dict(Category.choices), state["category"])] if "category" in state else []
    if "status" in state:
        parts.append(_label(STATUSES, state["status"]))
    if state.get("urgent"):
        parts.append(_("urgent"))
    return ", ".join(parts)


# --- The log as a CSV file (the mayor's export) -----------------------------------------------------------------


def csv_headers() -> list[str]:
    return [_("date"), _("auteur"), _("action"), _("objet"), _("détail")]


def _cell(value: str) -> str:
    # A name typed by a member could start a spreadsheet formula: quoted, it stays text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_chunks(entries: QuerySet[AuditEntry]) -> Iterator[bytes]:
    """As the statistics' CSV: UTF-8 with BOM, `;`, CRLF; the log read in chunks, never as one list of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(csv_headers())
    yield "\ufeff".encode() + _drain(buffer)
    batch: list[AuditEntry] = []
    for entry in entries.iterator(chunk_size=CHUNK):
        batch.append(entry)
        if len(batch) == CHUNK:
            yield _rows(writer, buffer, batch)
            batch = []
    yield _rows(writer, buffer, batch)


def _rows(writer: Any, buffer: io.StringIO, batch: list[AuditEntry]) -> bytes:
    for line in lines(batch):
        at = timezone.localtime(line.at, PARIS).strftime("%Y-%m-%d %H:%M:%S")
        writer.writerow([at, *(_cell(text) for text in (line.actor, line.action, line.subject, line.detail))])
    return _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data
