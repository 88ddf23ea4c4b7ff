"""The desk's index: the communes the signed-in person moderates (straight to the desk when there is one)."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.authentication import SignedInHttpRequest
from communes.access import is_gendarme, moderated_commune_ids
from communes.models import Commune
from risks.access import area_warnable
from stats.dashboard_views import dashboard_login_required

from .nav import desk_links


@dashboard_login_required
def index(request: SignedInHttpRequest) -> HttpResponse:
    communes = Commune.objects.filter(enrolled=True).order_by("name")
    if not request.user.is_staff:
        communes = communes.filter(pk__in=moderated_commune_ids(request.user))
    rows = [(commune, desk_links(commune.insee, "", mayor=True)[:1]) for commune in communes[:500]]
    gendarme = is_gendarme(request.user)
    if len(rows) == 1 and rows[0][1] and not gendarme:
        return redirect(rows[0][1][0].url)
    # A gendarme moderates nothing here: the desk offers them their area's alerts instead.
    return render(request, "desk/index.html", {"rows": rows, "gendarme": gendarme or request.user.is_staff,
                                               "area_warnings": area_warnable(request.user).exists()})  # fmt: skip
