"""The quartiers page: the commune's quartiers for its moderators; creating one is the mayor's, as in the API."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from communes import services
from communes.models import Commune, MembershipStatus

from .access import desk_page
from .members_forms import NeighbourhoodForm, service_refusal
from .members_views import is_desk_mayor


@require_http_methods(["GET", "HEAD", "POST"])
@desk_page()
def neighbourhoods(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    if request.method != "POST":
        return _page(request, commune, NeighbourhoodForm())
    if not is_desk_mayor(request):
        raise PermissionDenied(_("Seul le maire crée les quartiers."))
    form = NeighbourhoodForm(request.POST)
    if not form.is_valid():
        return _page(request, commune, form, status=400)
    try:
        created = services.neighbourhood_create(commune=commune, actor=request.user, **form.cleaned_data)
    except APIException as error:  # a quartier of that name already
        service_refusal(form, error)
        return _page(request, commune, form, status=400)
    messages.success(request, _("Le quartier « %(name)s » est créé.") % {"name": created.name})
    return redirect("desk:neighbourhoods", commune.insee)


def _page(request: SignedInHttpRequest, commune: Commune, form: NeighbourhoodForm, status: int = 200) -> HttpResponse:
    approved = Q(memberships__status=MembershipStatus.APPROVED)
    rows = commune.neighbourhoods.annotate(members=Count("memberships", filter=approved)).order_by("name")
    context = {"commune": commune, "rows": rows, "form": form, "mayor": is_desk_mayor(request)}
    return render(request, "desk/neighbourhoods.html", context, status=status)
