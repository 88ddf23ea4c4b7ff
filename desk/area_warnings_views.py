"""A warning over several communes on the desk: written once by a territory's operator or a mayor (the communes
ticked among those they may warn, or a radius), previewed with its reach over all of them, each person once, then
sent; the group's page follows its sending and ends it.

The API's rules (risks.access.may_warn_area, risks.territory): a forged commune is a 403 as in the API, a refused
form a 400 with its French errors, and nothing is written.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.exceptions import ValidationError

from accounts.authentication import SignedInHttpRequest
from accounts.models import User
from communes.access import moderated_commune_ids
from communes.models import Commune
from notifications.models import MessageSource
from notifications.services import call_minute_price, message_for_source, sms_segment_price
from risks.access import area_refusal, area_warnable, refused_in_area
from risks.models import AreaWarning, Hazard, Level, RiskWarning
from risks.selectors import warning_status
from risks.serializers import WarningWriteSerializer
from risks.services import message_body, message_title
from risks.territory import (
    MAX_RADIUS_KM,
    area_warning_end,
    area_warning_issue,
    area_warning_preview,
    area_warning_update,
    communes_within,
    group_rows,
)
from stats.dashboard_views import dashboard_login_required
from vigilants.errors import Conflict

from .area_form import AreaForm
from .risks_form import limits, local_input
from .risks_views import END_MAX, end_text_error
from .warnings_views import DRAFT, DRAFT_SECONDS, REFRESH_SECONDS, SENDING, message_report_figures

CHOICES_MAX = 600  # the checkboxes a page shows: a département's communes; staff narrow by radius beyond


def _allowed(user: User) -> Any:
    allowed = area_warnable(user)
    if not allowed.exists():
        raise PermissionDenied(_("Réservé aux opérateurs d'un territoire, aux maires et à leurs délégués."))
    return allowed


@dashboard_login_required
@require_http_methods(["GET", "POST"])
def area_warning_new(request: SignedInHttpRequest) -> HttpResponse:
    """GET: the form. POST: checked, then previewed (nothing sent); "Envoyer" on the preview sends it."""
    allowed = _allowed(request.user)
    if request.method == "GET":
        return _compose(request, AreaForm.blank(), allowed)
    form = AreaForm.posted(request.POST)
    step = request.POST.get("step")
    if step == "edit" or not form.is_valid():
        return _compose(request, form, allowed, status=200 if step == "edit" else 400)
    communes = _communes(request.user, form, allowed)
    if not communes:
        return _compose(request, form, allowed, status=400)
    if step == "send":
        return _send(request, form, communes, allowed)
    return _preview(request, form, communes, allowed)


def _communes(user: User, form: AreaForm, allowed: Any) -> list[Commune]:
    """The list's communes (a forged one is a 403, as in the API), or those of the radius (none: a field error)."""
    if form.mode == "list":
        if refusal := area_refusal(user, form.chosen):
            raise PermissionDenied(refusal)
        return form.chosen
    found = communes_within(*form.center, float(form.radius_km), allowed)
    if not found:
        form.errors["radius_km"] = [_("Aucune commune inscrite que vous pouvez alerter dans ce rayon.")]
    return found


def _compose(request: SignedInHttpRequest, form: AreaForm, allowed: Any, status: int = 200) -> HttpResponse:
    return render(request, "desk/risks/area_compose.html", {
        "form": form, "choices": list(allowed.order_by("name")[:CHOICES_MAX]), "limits": limits(),
        "hazards": Hazard.choices, "levels": Level.choices, "max_radius": MAX_RADIUS_KM,
    }, status=status)  # fmt: skip


def _preview(request: SignedInHttpRequest, form: AreaForm, communes: list[Commune], allowed: Any, *,
             unconfirmed: bool = False) -> HttpResponse:  # fmt: skip
    content = form.valid_content
    try:
        preview = area_warning_preview(communes=communes, content=content, actor=request.user)
    except ValidationError as refused:
        form.add_errors(refused.detail)
        return _compose(request, form, allowed, status=400)
    draft = RiskWarning(commune=communes[0], msg_type="Alert", hazard=content.hazard, level=content.level,
                        title=content.title, description=content.description, instruction=content.instruction,
                        expires_at=content.expires_at)  # fmt: skip
    return render(request, "desk/risks/area_preview.html", {
        "form": form, "communes": communes, "preview": preview, "draft": uuid.uuid4().hex, "price": sms_segment_price(),
        "call_price": call_minute_price(), "push_title": message_title(draft), "push_body": message_body(draft),
        "red": content.level == Level.RED, "unconfirmed": unconfirmed, "hazard_label": Hazard(content.hazard).label,
    })  # fmt: skip


def _send(request: SignedInHttpRequest, form: AreaForm, communes: list[Commune], allowed: Any) -> HttpResponse:
    token = request.POST.get("draft", "")
    if not DRAFT.fullmatch(token):  # not from a preview: show it first
        return _preview(request, form, communes, allowed, unconfirmed=True)
    key = f"desk:area-draft:{request.user.pk}:{token}"
    if not cache.add(key, SENDING, timeout=DRAFT_SECONDS):
        messages.info(request, _("Cet avis a déjà été envoyé : il ne part qu'une fois."))
        sent = cache.get(key)
        return redirect("desk:area-warning", sent) if isinstance(sent, int) and sent != SENDING else redirect("desk:index")
    try:
        how: dict[str, Any] = {"center": form.center, "radius_km": float(form.radius_km)} if form.mode == "radius" else {}
        result = area_warning_issue(communes=communes, content=form.valid_content, actor=request.user, **how)
    except ValidationError as refused:
        cache.delete(key)
        form.add_errors(refused.detail)
        return _compose(request, form, allowed, status=400)
    except Exception:
        cache.delete(key)  # nothing was sent: the sender may try again
        raise
    cache.set(key, result.group.pk, timeout=DRAFT_SECONDS)
    messages.success(request, _("L'avis part vers les maires, puis vers les habitants et les abonnés des communes."))
    return redirect("desk:area-warning", result.group.pk)


# --- The group -----------------------------------------------------------------------------------------------


def _group(user: User, pk: int) -> tuple[AreaWarning, list[RiskWarning]]:
    """The group and its communes' rows, for someone who may warn one of them at least (else 404: the desk shows
    nothing outside one's reach)."""
    group = get_object_or_404(AreaWarning, pk=pk)
    rows = group_rows(group)
    if len(refused_in_area(user, [row.commune for row in rows])) == len(rows):
        raise PermissionDenied(_("Cet avis concerne des communes que vous ne pouvez pas alerter."))
    return group, rows


@dashboard_login_required
@require_GET
def area_warning_detail(request: SignedInHttpRequest, pk: int) -> HttpResponse:
    group, rows = _group(request.user, pk)
    return _group_page(request, group, rows)


def _group_page(request: SignedInHttpRequest, group: AreaWarning, rows: list[RiskWarning], *, end_text: str = "",
                end_errors: list[str] | None = None, update: dict[str, str] | None = None,
                update_errors: dict[str, list[str]] | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    user = request.user
    latest = rows[0]
    moderated = set(moderated_commune_ids(user).values_list("commune_id", flat=True))  # one query, not one a row
    return render(request, "desk/risks/area_group.html", {
        "update": update or {"level": latest.level, "description": latest.description,
                             "expires_at": local_input(latest.expires_at)},
        "update_errors": update_errors or {}, "levels": Level.choices,
        "group": group, "rows": [(row, user.is_staff or row.commune_id in moderated) for row in rows],
        "latest": rows[0], "status": warning_status(rows[0]), "refresh_seconds": REFRESH_SECONDS,
        "report": message_report_figures(message_for_source(MessageSource.WARNING, rows[0].pk)),
        "may_write": not refused_in_area(user, [row.commune for row in rows]), "end_text": end_text,
        "end_errors": end_errors or [], "end_max": END_MAX,
    }, status=status)  # fmt: skip


def _writable_group(user: User, pk: int) -> tuple[AreaWarning, list[RiskWarning]]:
    """The group, for someone who may write to every one of its communes (else 403 naming the others, as the API)."""
    group, rows = _group(user, pk)
    if refusal := area_refusal(user, [row.commune for row in rows]):
        raise PermissionDenied(refusal)
    return group, rows


@dashboard_login_required
@require_POST
def area_warning_end_view(request: SignedInHttpRequest, pk: int) -> HttpResponse:
    group, rows = _writable_group(request.user, pk)
    text = request.POST.get("text", "").strip()
    if error := end_text_error(text):
        return _group_page(request, group, rows, end_text=text, end_errors=[error], status=400)
    try:
        area_warning_end(group=group, actor=request.user, text=text)
    except Conflict as conflict:
        return _group_page(request, group, rows, end_text=text, end_errors=[str(conflict.detail)], status=409)
    messages.success(request, _("La fin de l'avis part vers les habitants : elle remplace l'avis sur leurs téléphones."))
    return redirect("desk:area-warning", group.pk)


UPDATE_FIELDS = ("level", "description", "expires_at")


@dashboard_login_required
@require_POST
def area_warning_update_view(request: SignedInHttpRequest, pk: int) -> HttpResponse:
    """An update of every commune's thread: its level, situation and validity (the rest is kept)."""
    group, rows = _writable_group(request.user, pk)
    posted = {name: str(request.POST.get(name, "")).strip() for name in UPDATE_FIELDS}
    serializer = WarningWriteSerializer(data=posted, partial=True, context={"commune": rows[0].commune})
    if not serializer.is_valid():
        errors = {name: [str(m) for m in found] for name, found in serializer.errors.items()}
        return _group_page(request, group, rows, update=posted, update_errors=errors, status=400)
    try:
        area_warning_update(group=group, actor=request.user, **serializer.changes(rows[0]))
    except ValidationError as refused_content:
        detail = refused_content.detail if isinstance(refused_content.detail, dict) else {"level": refused_content.detail}
        errors = {name: [str(m) for m in found] for name, found in detail.items()}
        return _group_page(request, group, rows, update=posted, update_errors=errors, status=400)
    except Conflict as conflict:
        return _group_page(request, group, rows, update=posted, update_errors={"level": [str(conflict.detail)]},
                           status=409)  # fmt: skip
    messages.success(request, _("La mise à jour part vers les habitants : elle remplace l'avis sur leurs téléphones."))
    return redirect("desk:area-warning", group.pk)
