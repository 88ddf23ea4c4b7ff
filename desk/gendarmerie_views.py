"""The gendarmerie's pages, read-only: the approved alerts of the area (filtered, paginated, on a map) and one alert.

Who and what: desk.gendarmerie (the API's selector, rounded positions).
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.authentication import SignedInHttpRequest

from .gendarmerie import alert_map, alerts_map, area_alerts, area_communes, gendarmerie_page, public_position
from .gendarmerie_forms import AlertFilterForm

PAGE_SIZE = 25


@gendarmerie_page
def alerts(request: SignedInHttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET, communes=area_communes(request.user))
    if not form.is_valid():
        return render(request, "desk/gendarmerie/alerts.html", {"form": form}, status=400)
    found = form.filter(area_alerts(request.user)).order_by("-occurred_at", "-pk").prefetch_related(None)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(alert, public_position(alert)) for alert in page]
    return render(request, "desk/gendarmerie/alerts.html", {
        "form": form, "page": page, "rows": rows, "map": alerts_map(found, form.cleaned_data.get("commune")),
    })  # fmt: skip


@gendarmerie_page
def alert(request: SignedInHttpRequest, pk: int) -> HttpResponse:
    found = area_alerts(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("Signalement inconnu ou hors de votre secteur."))
    context = {"alert": found, "position": public_position(found), "map": alert_map(found)}
    return render(request, "desk/gendarmerie/alert.html", context)
