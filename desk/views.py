"""The desk's index: the communes the signed-in person moderates (straight to the desk when there is one), and the
territories they operate."""

from django.http import HttpResponse
from django.shortcuts import redirect, render

from accounts.authentication import SignedInHttpRequest
from communes.access import delegated_commune_ids, is_gendarme, moderated_commune_ids, operator_territories
from communes.models import Commune
from stats.dashboard_views import dashboard_login_required

from .nav import Link, desk_links


@dashboard_login_required
def index(request: SignedInHttpRequest) -> HttpResponse:
    communes = Commune.objects.filter(enrolled=True).order_by("name")
    if not request.user.is_staff:
        communes = communes.filter(pk__in=moderated_commune_ids(request.user))
    rows = [(commune, desk_links(commune.insee, "", mayor=True)[:1]) for commune in communes[:500]]
    if not request.user.is_staff:
        rows += _delegated_rows(request)
    gendarme, territories = is_gendarme(request.user), operator_territories(request.user)
    if len(rows) == 1 and rows[0][1] and not gendarme and not territories:
        return redirect(rows[0][1][0].url)
    # A gendarme moderates nothing here: the desk offers them their area's alerts instead; an operator, its
    # territories' pages.
    return render(request, "desk/index.html", {"rows": rows, "gendarme": gendarme or request.user.is_staff,
                                               "territories": territories})  # fmt: skip


def _delegated_rows(request: SignedInHttpRequest) -> list[tuple[Commune, list[Link]]]:
    """The communes whose reports the person moderates by delegation only: straight to their reports."""
    communes = (Commune.objects.filter(enrolled=True, pk__in=delegated_commune_ids(request.user))
                .exclude(pk__in=moderated_commune_ids(request.user)).order_by("name"))  # fmt: skip
    return [(commune, desk_links(commune.insee, "", mayor=False, delegated=True)[:1]) for commune in communes[:500]]
