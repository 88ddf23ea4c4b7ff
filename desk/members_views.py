"""The members page: requests to decide on, the approved members, their roles; removing one.

Who may do what is the API's (communes/membership_views.py), through the same services: any moderator
decides on residents' requests (a moderator's membership is the mayor's to decide, `may_decide`), only a mayor
changes roles, a mayor removes anyone and anyone removes themselves. No phone number is shown: the memberships
API shows moderators none (`MemberSerializer`), a name, an address and a quartier are what checking residency
needs.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from communes import services
from communes.models import Commune, Membership, MembershipStatus

from .access import desk_page
from .members_forms import ActionForm, MemberFilterForm, RejectForm, RoleForm, service_refusal

MEMBERS_PER_PAGE = 25
PENDING_SHOWN = 50
# The list's state, carried by the action forms so that the page comes back as it was left.
FILTER_PARAMETERS = ("q", "role", "neighbourhood")
LIST_PARAMETERS = (*FILTER_PARAMETERS, "page")


@dataclass(frozen=True)
class Failed:
    """An action the page is shown again for, with its form's errors, next to the member it concerns."""

    action: str
    membership: Membership
    form: forms.Form


def is_desk_mayor(request: SignedInHttpRequest) -> bool:
    return bool(getattr(request, "desk_mayor", False))


def _name(membership: Membership) -> str:
    return str(membership.user)  # the display name, or #id: never the phone number


@require_safe
@desk_page()
def members(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    return render_members(request, commune)


def render_members(request: SignedInHttpRequest, commune: Commune, failed: Failed | None = None) -> HttpResponse:
    neighbourhoods = commune.neighbourhoods.order_by("name")
    filters = MemberFilterForm(request.GET or None, neighbourhoods=neighbourhoods)
    approved = _approved(commune, filters.cleaned_data if filters.is_valid() else {})
    page = Paginator(approved, MEMBERS_PER_PAGE).get_page(request.GET.get("page"))
    pending = commune.memberships.filter(status=MembershipStatus.PENDING).select_related("user", "neighbourhood")
    pending = pending.order_by("created_at", "id")
    mayor = is_desk_mayor(request)
    context: dict[str, Any] = {
        "commune": commune, "filters": filters, "page": page, "failed": failed, "mayor": mayor,
        "pending": [_pending_row(m, failed) for m in pending[:PENDING_SHOWN]], "pending_count": pending.count(),
        "rows": [_member_row(request, m, mayor, failed) for m in page.object_list], "list_query": _list_query(request),
        "page_query": urlencode(kept_parameters(request, FILTER_PARAMETERS)),
    }  # fmt: skip
    bad_filters = bool(request.GET) and not filters.is_valid()
    status = 400 if failed is not None or bad_filters else 200
    return render(request, "desk/members.html", context, status=status)


def _failed_form(failed: Failed | None, action: str, membership: Membership) -> forms.Form | None:
    if failed is not None and failed.action == action and failed.membership.pk == membership.pk:
        return failed.form
    return None


def _pending_row(membership: Membership, failed: Failed | None) -> dict[str, Any]:
    reject_form = _failed_form(failed, "reject", membership)
    if reject_form is None:
        reject_form = RejectForm(auto_id=reject_id(membership.pk))
    return {"membership": membership, "name": _name(membership), "reject_form": reject_form,
            "failed": failed is not None and failed.membership.pk == membership.pk}  # fmt: skip


def _member_row(request: SignedInHttpRequest, membership: Membership, mayor: bool, failed: Failed | None) -> dict[str, Any]:
    role_form = _failed_form(failed, "role", membership)
    if role_form is None and mayor:
        role_form = RoleForm(initial={"role": membership.role}, auto_id=role_id(membership.pk))
    return {"membership": membership, "name": _name(membership), "role_form": role_form,
            "may_remove": mayor or membership.user_id == request.user.pk,
            "failed": failed is not None and failed.membership.pk == membership.pk}  # fmt: skip


def reject_id(pk: int) -> str:
    # One form a row: ids of their own, so that each label names its own field.
    return f"refus-{pk}-%s"


def role_id(pk: int) -> str:
    return f"role-{pk}-%s"


def _approved(commune: Commune, filters: dict[str, Any]) -> QuerySet[Membership]:
    approved = commune.memberships.filter(status=MembershipStatus.APPROVED).select_related("user", "neighbourhood")
    if filters.get("q"):
        approved = approved.filter(user__display_name__icontains=filters["q"])
    if filters.get("role"):
        approved = approved.filter(role=filters["role"])
    if filters.get("neighbourhood"):
        approved = approved.filter(neighbourhood=filters["neighbourhood"])
    return approved.order_by("user__display_name", "id")


def kept_parameters(request: SignedInHttpRequest, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The list's own query parameters (a page, filters) to carry into links and actions, and nothing else."""
    return [(name, request.GET[name]) for name in names if request.GET.get(name)]


def _list_query(request: SignedInHttpRequest) -> str:
    kept = kept_parameters(request, LIST_PARAMETERS)
    return f"?{urlencode(kept)}" if kept else ""


def _back_to_list(request: SignedInHttpRequest, commune: Commune) -> HttpResponseRedirect:
    return redirect(reverse("desk:members", args=[commune.insee]) + _list_query(request))


def _membership(commune: Commune, pk: int) -> Membership:
    # Another commune's membership is not there for this page: 404, as the API's scoped querysets answer.
    return get_object_or_404(Membership.objects.select_related("user", "commune"), pk=pk, commune=commune)


def _refused(request: SignedInHttpRequest, commune: Commune, failed: Failed, error: APIException) -> HttpResponse:
    service_refusal(failed.form, error)
    return render_members(request, commune, failed)


@require_POST
@desk_page()
def approve(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    membership = _membership(commune, pk)
    form = ActionForm()
    try:
        services.membership_approve(membership=membership, actor=request.user)
    except APIException as error:
        return _refused(request, commune, Failed("approve", membership, form), error)
    messages.success(request, _("La demande de %(name)s est acceptée.") % {"name": _name(membership)})
    return _back_to_list(request, commune)


@require_POST
@desk_page()
def reject(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    membership = _membership(commune, pk)
    if not services.may_decide(request.user, membership):
        raise PermissionDenied(_("Seul le maire décide de l'adhésion d'un référent ou d'un maire."))
    form = RejectForm(request.POST, auto_id=reject_id(membership.pk))
    failed = Failed("reject", membership, form)
    if not form.is_valid():
        return render_members(request, commune, failed)
    try:
        services.membership_reject(membership=membership, actor=request.user, reason=form.cleaned_data["reason"])
    except APIException as error:
        return _refused(request, commune, failed, error)
    messages.success(request, _("La demande de %(name)s est refusée.") % {"name": _name(membership)})
    return _back_to_list(request, commune)


@require_POST
@desk_page()
def change_role(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    if not is_desk_mayor(request):
        raise PermissionDenied(_("Seul le maire change les rôles."))
    membership = _membership(commune, pk)
    form = RoleForm(request.POST, auto_id=role_id(membership.pk))
    failed = Failed("role", membership, form)
    if not form.is_valid():
        return render_members(request, commune, failed)
    try:
        changed = services.membership_set_role(membership=membership, actor=request.user, role=form.cleaned_data["role"])
    except APIException as error:
        return _refused(request, commune, failed, error)
    messages.success(request, _("%(name)s est désormais : %(role)s.")
                     % {"name": _name(changed), "role": changed.get_role_display()})  # fmt: skip
    return _back_to_list(request, commune)


@require_POST
@desk_page()
def remove(request: SignedInHttpRequest, commune: Commune, pk: int) -> HttpResponse:
    membership = _membership(commune, pk)
    leaving = membership.user_id == request.user.pk
    if not (leaving or is_desk_mayor(request)):
        raise PermissionDenied(_("Seul le maire retire un membre de la commune."))
    form = ActionForm()  # the last mayor's refusal
    try:
        services.membership_leave(membership=membership, actor=request.user)
    except APIException as error:
        return _refused(request, commune, Failed("remove", membership, form), error)
    if leaving:
        messages.success(request, _("Vous avez quitté %(commune)s.") % {"commune": commune.name})
        return redirect("desk:index")  # this desk is no longer theirs
    messages.success(request, _("%(name)s ne fait plus partie de la commune.") % {"name": _name(membership)})
    return _back_to_list(request, commune)
