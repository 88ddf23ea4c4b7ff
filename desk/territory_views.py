"""The territory page of an intercommunality's or a département's operator: its communes (enrolled or not, their
members, followers and mayors), enrolling one with its first mayor, replacing a first mayor.

The API's rules and services (communes/operations.py): a refused form answers 400 with its French errors and
changes nothing; every change is in the commune's audit log. Another territory is refused as the API refuses it.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from communes import operations
from communes.access import operates_territory
from communes.territories import Territory, find_territory
from communes.territory_selectors import commune_row, territory_communes
from stats.dashboard_views import dashboard_login_required

from .members_forms import service_refusal
from .territory_forms import EnrolForm, FirstMayorForm

ENROL_ID, MAYOR_ID = "inscrire-%s", "premier-maire-%s"


def operated(request: SignedInHttpRequest, kind: str, code: str) -> Territory:
    territory = find_territory(kind, code)
    if territory is None:
        raise Http404(_("Territoire inconnu."))
    if not operates_territory(request.user, kind, code):
        raise PermissionDenied(_("Cette page est réservée aux opérateurs du territoire."))
    return territory


def _render(request: SignedInHttpRequest, territory: Territory, refused: dict[str, forms.Form] | None = None) -> HttpResponse:
    """The page; `refused`: a form sent back with its errors (a 400), under its name in the template."""
    context = {
        "territory": territory, "communes": [commune_row(c) for c in territory_communes(territory)],
        "enrol_form": EnrolForm(auto_id=ENROL_ID), "mayor_form": FirstMayorForm(auto_id=MAYOR_ID), **(refused or {}),
    }  # fmt: skip
    return render(request, "desk/territory.html", context, status=400 if refused else 200)


def _page(territory: Territory) -> str:
    return reverse("desk:territory", args=[territory.kind, territory.code])


@dashboard_login_required
@require_safe
def territory_page(request: SignedInHttpRequest, kind: str, code: str) -> HttpResponse:
    return _render(request, operated(request, kind, code))


@dashboard_login_required
@require_POST
def enrol(request: SignedInHttpRequest, kind: str, code: str) -> HttpResponse:
    territory = operated(request, kind, code)

    def enrolled(data: dict[str, Any]) -> str:
        person = operations.Person(data["mayor_phone"], data["mayor_name"].strip())
        commune = operations.territory_enroll(territory=territory, actor=request.user, insee=data["insee"], mayor=person)
        return _("%(commune)s est inscrite ; son premier maire est nommé.") % {"commune": commune.name}

    return _submit(request, territory, EnrolForm(request.POST, auto_id=ENROL_ID), "enrol_form", enrolled)


@dashboard_login_required
@require_POST
def first_mayor(request: SignedInHttpRequest, kind: str, code: str) -> HttpResponse:
    territory = operated(request, kind, code)

    def replaced(data: dict[str, Any]) -> str:
        commune = operations.territory_commune(territory, data["insee"])
        person = operations.Person(data["phone"], data["display_name"].strip())
        operations.first_mayor_replace(commune=commune, actor=request.user, mayor=person)
        return _("Le premier maire de %(commune)s est remplacé.") % {"commune": commune.name}

    return _submit(request, territory, FirstMayorForm(request.POST, auto_id=MAYOR_ID), "mayor_form", replaced)


def _submit(request: SignedInHttpRequest, territory: Territory, form: forms.Form, slot: str,
            act: Callable[[dict[str, Any]], str]) -> HttpResponse:  # fmt: skip
    """A valid form's operation, then back to the page with its message; a refusal (the form's or the
    service's, which changed nothing) shows on the form, under `slot`, with a 400."""
    if form.is_valid():
        try:
            done = act(form.cleaned_data)
        except APIException as error:
            service_refusal(form, error)
        else:
            messages.success(request, done)
            return redirect(_page(territory))
    return _render(request, territory, {slot: form})
