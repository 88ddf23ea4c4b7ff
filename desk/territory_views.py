"""The territory page of an intercommunality's or a département's operator: its communes (enrolled or not, their
members, followers and mayors), enrolling one with its first mayor, replacing a first mayor.

The API's rules and services (communes/operations.py): a refused form answers 400 with its French errors and
changes nothing; every change is in the commune's audit log. Another territory is refused as the API refuses it.
"""

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


def _render(request: SignedInHttpRequest, territory: Territory, *, enrol: EnrolForm | None = None,
            mayor: FirstMayorForm | None = None) -> HttpResponse:  # fmt: skip
    context = {
        "territory": territory, "communes": [commune_row(c) for c in territory_communes(territory)],
        "enrol_form": enrol or EnrolForm(auto_id=ENROL_ID), "mayor_form": mayor or FirstMayorForm(auto_id=MAYOR_ID),
    }  # fmt: skip
    refused = (enrol is not None and enrol.errors) or (mayor is not None and mayor.errors)
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
    form = EnrolForm(request.POST, auto_id=ENROL_ID)
    if not form.is_valid():
        return _render(request, territory, enrol=form)
    person = operations.Person(form.cleaned_data["mayor_phone"], form.cleaned_data["mayor_name"].strip())
    try:
        commune = operations.territory_enroll(territory=territory, actor=request.user, insee=form.cleaned_data["insee"],
                                              mayor=person)  # fmt: skip
    except APIException as error:
        service_refusal(form, error)
        return _render(request, territory, enrol=form)
    messages.success(request, _("%(commune)s est inscrite ; son premier maire est nommé.") % {"commune": commune.name})
    return redirect(_page(territory))


@dashboard_login_required
@require_POST
def first_mayor(request: SignedInHttpRequest, kind: str, code: str) -> HttpResponse:
    territory = operated(request, kind, code)
    form = FirstMayorForm(request.POST, auto_id=MAYOR_ID)
    if not form.is_valid():
        return _render(request, territory, mayor=form)
    person = operations.Person(form.cleaned_data["phone"], form.cleaned_data["display_name"].strip())
    try:
        commune = operations.territory_commune(territory, form.cleaned_data["insee"])
        operations.first_mayor_replace(commune=commune, actor=request.user, mayor=person)
    except APIException as error:
        service_refusal(form, error)
        return _render(request, territory, mayor=form)
    messages.success(request, _("Le premier maire de %(commune)s est remplacé.") % {"commune": commune.name})
    return redirect(_page(territory))
