"""A territory's dashboard (`/desk/territoire/<kind>/<code>/tableau/`): its figures as tables, its communes on a map,
links to the exports and to each commune's statistics.

For the territory's operators, the gendarmes whose area covers it and staff (stats.territory_access, the API's
rule); the figures are the API's (GET /stats/territories/{kind}/{code}), from the same cache.
"""

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from communes.maps import CommuneMap, MapPoint
from communes.models import TerritoryKind
from communes.territories import Territory, find_territory
from stats.periods import EARLIEST, MAX_SPAN_DAYS, DateRange, default_range, latest
from stats.territory_access import reads_territory
from stats.territory_stats import enrolled_communes
from stats.territory_views import territory_figures

from .gendarmerie_forms import DATE_ERRORS, DateInput

View = Callable[..., HttpResponse]


def territory_page(view: View) -> View:
    """Signed in (else sent to sign in), then the territory (unknown: 404) and who may read it (else 403)."""

    @wraps(view)
    def wrapped(request: HttpRequest, kind: str, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        territory = find_territory(kind, code)
        if territory is None:
            raise Http404(_("Territoire inconnu."))
        if not reads_territory(request.user, kind, code):
            raise PermissionDenied(_("Ce tableau est réservé aux opérateurs du territoire, à sa gendarmerie et à "
                                     "l’équipe du service."))  # fmt: skip
        return view(request, territory, *args, **kwargs)

    return wrapped


class RangeForm(forms.Form):
    """The period (days in Paris, both included): the API's bounds, French errors."""

    du = forms.DateField(required=False, label=gettext_lazy("Du"), widget=DateInput(), error_messages=DATE_ERRORS)
    au = forms.DateField(required=False, label=gettext_lazy("au (inclus)"), widget=DateInput(), error_messages=DATE_ERRORS)

    def clean_du(self) -> date | None:
        return _bounded(self.cleaned_data.get("du"))

    def clean_au(self) -> date | None:
        return _bounded(self.cleaned_data.get("au"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        end = cleaned.get("au") or default_range().end
        start = cleaned.get("du") or default_range(end).start
        if start > end:
            self.add_error("au", _("La fin de la période précède son début."))
        elif (end - start).days > MAX_SPAN_DAYS:
            self.add_error("du", _("Période trop longue : dix ans au plus."))
        else:
            cleaned["range"] = DateRange(start, end)
        return cleaned


def _bounded(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= latest():
        raise forms.ValidationError(_("Date hors des limites : du %(first)s au %(last)s.")
                                    % {"first": EARLIEST.isoformat(), "last": latest().isoformat()})  # fmt: skip
    return value


@require_safe
@territory_page
def dashboard(request: HttpRequest, territory: Territory) -> HttpResponse:
    form = RangeForm(request.GET)
    context: dict[str, Any] = {"territory": territory, "label": territory_label(territory), "form": form}
    if not form.is_valid():
        return render(request, "desk/territory/dashboard.html", context, status=400)
    date_range: DateRange = form.cleaned_data["range"]
    figures = territory_figures(territory, date_range)
    context.update(figures=figures, range=date_range, map=communes_map(territory),
                   export_query=export_query(territory, date_range),
                   years=[row["year"] for row in figures["totals"]["burglaries"]["by_year"]])  # fmt: skip
    return render(request, "desk/territory/dashboard.html", context)


def territory_label(territory: Territory) -> str:
    """"Alpes-Maritimes (06)", "Département 06" when its name is not loaded; an intercommunality's name."""
    if territory.kind == TerritoryKind.EPCI:
        return territory.name
    if territory.name and territory.name != territory.code:
        return f"{territory.name} ({territory.code})"
    return _("Département %(code)s") % {"code": territory.code}


def export_query(territory: Territory, date_range: DateRange) -> str:
    """The export API's query for what the page shows: the whole territory, the page's period."""
    scope = "epci" if territory.kind == TerritoryKind.EPCI else "departement"
    return urlencode({scope: territory.code, "from": date_range.start.isoformat(), "to": date_range.end.isoformat()})


def communes_map(territory: Territory) -> CommuneMap | None:
    """Each enrolled commune: its outline, and a point at its centre linking to its statistics."""
    communes = enrolled_communes(territory)
    if not communes:
        return None
    points = [
        MapPoint(c.latitude, c.longitude, label=f"{c.name} ({c.insee})", url=reverse("dashboard:commune", args=[c.insee]))
        for c in communes if c.latitude is not None and c.longitude is not None
    ]  # fmt: skip
    return CommuneMap(
        communes[0], points, more_communes=communes[1:], title=_("Carte des communes inscrites du territoire"),
        caption=_("Communes inscrites sur la carte"), label_heading=_("Commune"),
        note=_("Chaque point est le centre d’une commune inscrite, chaque cadre son emprise."),
    )  # fmt: skip
