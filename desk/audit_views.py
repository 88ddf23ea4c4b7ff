"""The commune's audit log, newest first: for its mayors (and staff), as the API's /communes/{insee}/audit."""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.authentication import SignedInHttpRequest
from communes.models import Commune

from . import audit_log
from .access import desk_page
from .members_forms import AuditFilterForm
from .members_views import kept_parameters

ENTRIES_PER_PAGE = 50


def audit_filters(commune: Commune, data: Any = None, auto_id: str = "id_%s") -> AuditFilterForm:
    return AuditFilterForm(data, actions=audit_log.action_choices(commune), auto_id=auto_id)


def chosen(form: AuditFilterForm) -> dict[str, Any]:
    """The filters that are valid: a wrong one is pointed out and left out, the others still apply."""
    if not form.is_bound:
        return {}
    form.is_valid()
    data = form.cleaned_data
    return {"action": data.get("action") or "", "start": data.get("du"), "end": data.get("au")}


@require_safe
@desk_page(mayor_only=True)
def audit(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    form = audit_filters(commune, request.GET or None)
    entries = audit_log.filtered(audit_log.commune_entries(commune), **chosen(form))
    current = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "commune": commune, "form": form, "page": current, "lines": audit_log.lines(current.object_list),
        "page_query": urlencode(kept_parameters(request, ("action", "du", "au"))),
    }  # fmt: skip
    return render(request, "desk/audit.html", context, status=400 if form.is_bound and form.errors else 200)
