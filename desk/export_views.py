"""The exports page: the commune's statistics (its moderators, as the API's /stats/export allows them) and its
audit log (its mayors, who alone read it). Every export is written to the audit log before the first byte leaves.

Exports are POST forms: each writes to the audit log, which a link followed from another site must not do.
One commune's figures or log make a file of a few megabytes at most: answered whole (the desk's views are
typed to return an HttpResponse), though read from the database in chunks.

No members list is offered: the API has none, the members page serves moderation, and a file taken out of the
service keeps names and addresses out of reach of a member's erasure (DELETE /me) and of role changes.
"""

from datetime import date

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from audit.services import audit_record
from communes.models import Commune
from stats import exporting
from stats.periods import today
from stats.views import CONTENT_TYPES

from . import audit_log
from .access import desk_page
from .audit_views import audit_filters, chosen
from .members_forms import AuditFilterForm, StatsExportForm, service_refusal
from .members_views import is_desk_mayor

# Two forms on one page: each its own ids, so that each label names its own field.
STATS_IDS, AUDIT_IDS = "statistiques-%s", "journal-%s"


@require_safe
@desk_page()
def exports(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    return _page(request, commune)


def _page(request: SignedInHttpRequest, commune: Commune, stats_form: StatsExportForm | None = None,
          audit_form: AuditFilterForm | None = None) -> HttpResponse:  # fmt: skip
    context = {
        "commune": commune, "mayor": is_desk_mayor(request),
        "stats_form": stats_form or StatsExportForm(auto_id=STATS_IDS),
        "audit_form": audit_form or audit_filters(commune, auto_id=AUDIT_IDS),
    }  # fmt: skip
    return render(request, "desk/exports.html", context, status=400 if stats_form or audit_form else 200)


@require_POST
@desk_page()
def export_statistics(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    form = StatsExportForm(request.POST, auto_id=STATS_IDS)
    if not form.is_valid():
        return _page(request, commune, stats_form=form)
    data = form.cleaned_data
    try:
        # stats' own rule of who exports what: this commune, which its moderators may read (403 otherwise).
        scope = exporting.export_scope(request.user, insee_codes=[commune.insee])
    except APIException as error:
        service_refusal(form, error)
        return _page(request, commune, stats_form=form)
    export = exporting.prepare_export(scope, data["range"], data.get("categories", []))
    exporting.record_export(request.user, export, data["format"])
    name = f"vigilants-statistiques-{commune.insee}-{export.date_range.start}-{export.date_range.end}"
    if data["format"] == "xlsx":
        with exporting.xlsx_file(export.rows()) as workbook:
            return _attachment(HttpResponse(workbook.read(), content_type=CONTENT_TYPES["xlsx"]), f"{name}.xlsx")
    return _attachment(HttpResponse(exporting.csv_chunks(export.rows()), content_type=CONTENT_TYPES["csv"]), f"{name}.csv")


@require_POST
@desk_page(mayor_only=True)
def export_audit(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    form = audit_filters(commune, request.POST, auto_id=AUDIT_IDS)
    if not form.is_valid():
        return _page(request, commune, audit_form=form)
    wanted = chosen(form)
    entries = audit_log.filtered(audit_log.commune_entries(commune), **wanted)
    with transaction.atomic():
        details = {"format": "csv", "from": _iso(wanted["start"]), "to": _iso(wanted["end"]),
                   "action": wanted["action"], "rows": entries.count()}  # fmt: skip
        record = audit_record(actor=request.user, action="audit.exported", obj=commune, commune=commune, after=details)
    # The file is the log as it was when asked for: not the line that records this very export.
    response = HttpResponse(audit_log.csv_chunks(entries.exclude(pk=record.pk)), content_type=CONTENT_TYPES["csv"])
    return _attachment(response, f"vigilants-journal-{commune.insee}-{today().isoformat()}.csv")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
