"""The dashboards: an index, a commune's page and yearly account (bilan), a département's ranking.

Who sees what is `communes.access` (the API's rules): a commune's page for its mayor and referents,
the gendarmes of its area and staff; a département for its gendarmes and staff. A commune the user may
not read is a 404, as in the API. Numbers come from `stats.dashboard_data`.
"""

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypedDict

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import etag, require_safe

from accounts.authentication import SignedInHttpRequest
from accounts.models import User
from communes.access import gendarme_area_q, is_gendarme, moderated_commune_ids, stats_communes
from communes.models import Commune, GendarmeArea, Membership, MembershipStatus
from notifications.health import DELAY_REASONS, sending_delay
from vigilants.categories import BURGLARY_CATEGORIES, Category

from . import dashboard_data as data
from .branding import brand_css, current_brand
from .dashboard_auth import can_use_dashboard
from .periods import EARLIEST, MAX_SPAN_DAYS, default_range, latest

View = Callable[..., HttpResponse]
FIRST_YEAR = 2016  # the oldest SSMSI year loaded; no alert predates the service
BRAND_CSS_MAX_AGE = 24 * 3600  # the link carries the brand's version: a new colour is a new URL


def dashboard_login_required(view: View) -> View:
    """Signed in through the dashboard login, and one of the people the dashboards are for."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_use_dashboard(request.user):
            return render(request, "dashboard/login_refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


@require_safe
@etag(lambda request: current_brand().version)
def brand_stylesheet(request: HttpRequest) -> HttpResponse:
    """The deployment's colours as a stylesheet (no inline style: the Content-Security-Policy forbids it)."""
    response = HttpResponse(brand_css(current_brand()), content_type="text/css; charset=utf-8")
    patch_cache_control(response, public=True, max_age=BRAND_CSS_MAX_AGE)
    return response


def _commune_or_404(request: SignedInHttpRequest, insee: str) -> Commune:
    commune = stats_communes(request.user).by_insee(insee)
    if commune is None:
        raise Http404(_("Commune inconnue ou hors de votre périmètre."))
    return commune


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value) if value else default
    except ValueError:
        return default
    return year if FIRST_YEAR <= year <= data.current_year() else default


@dashboard_login_required
def index(request: SignedInHttpRequest) -> HttpResponse:
    communes = stats_communes(request.user).filter(enrolled=True).order_by("departement", "name")
    return render(request, "dashboard/index.html", {
        "communes": communes[:500], "communes_total": communes.count(), "departements": _departements(request.user),
        "sending_delay": _sending_delay(moderated_commune_ids(request.user)),
    })  # fmt: skip


def _sending_delay(commune_ids: Any) -> str | None:
    """The banner's reason, in French, when sending is delayed for these communes or the broker is down."""
    reason = sending_delay(commune_ids)
    return str(DELAY_REASONS[reason]) if reason else None


class Departement(TypedDict):
    departement: str
    departement_name: str


def _departements(user: User) -> list[Departement]:
    """The départements whose page the user may open: staff all those with an enrolled commune."""
    if not (user.is_staff or is_gendarme(user)):
        return []
    communes = stats_communes(user).filter(enrolled=True)
    rows = communes.values("departement", "departement_name").order_by("departement").distinct()
    return list(rows)


@dashboard_login_required
def commune_page(request: SignedInHttpRequest, insee: str) -> HttpResponse:
    commune = _commune_or_404(request, insee)
    year = _year(request.GET.get("annee"), data.current_year())
    context = data.commune_figures(commune, year)
    context["years"] = list(range(data.current_year(), max(FIRST_YEAR, data.current_year() - 5) - 1, -1))
    context["map"] = data.alert_map(commune, year)
    context["sending_delay"] = _sending_delay([commune.pk])
    return render(request, "dashboard/commune.html", context)


@dashboard_login_required
def commune_bilan(request: SignedInHttpRequest, insee: str, year: int) -> HttpResponse:
    commune = _commune_or_404(request, insee)
    if not FIRST_YEAR <= year <= data.current_year():
        raise Http404(_("Année indisponible."))
    context = data.commune_figures(commune, year)
    context["members"] = Membership.objects.filter(commune=commune, status=MembershipStatus.APPROVED).count()
    context["complete_year"] = year < data.current_year()
    context["edited_on"] = data.current_date()
    context["sending_delay"] = _sending_delay([commune.pk])
    return render(request, "dashboard/bilan.html", context)


@dashboard_login_required
def departement_page(request: SignedInHttpRequest, code: str) -> HttpResponse:
    communes = _departement_communes(request, code)
    start, end = _period(request)
    category = request.GET.get("categorie", "burglaries")
    categories = _categories(category)
    rows = data.departement_rows(list(communes), start, end, categories)
    return render(request, "dashboard/departement.html", {
        "code": code, "departement_name": communes[0].departement_name if communes else "", "rows": rows,
        "start": start, "end": end, "category": category, "category_choices": _category_choices(),
        "total": sum(row.count for row in rows),
        "export_query": _export_query(request, code, communes, (start, end), categories if category != "all" else ()),
    })  # fmt: skip


def _export_query(request: SignedInHttpRequest, code: str, communes: list[Commune], period: tuple[date, date],
                  categories: tuple[str, ...]) -> str:  # fmt: skip
    """The export API's query for what the page shows: the whole département when the user's area is the
    département, else its communes; the page's period and categories."""
    area = GendarmeArea.objects.filter(user=request.user).first()
    whole = request.user.is_staff or (area is not None and area.departement == code)
    scope = {"departement": code} if whole else {"communes": ",".join(c.insee for c in communes)}
    chosen = {"categories": ",".join(categories)} if categories else {}
    return urlencode({**scope, "from": period[0].isoformat(), "to": period[1].isoformat(), **chosen})


def _departement_communes(request: SignedInHttpRequest, code: str) -> list[Commune]:
    user = request.user
    if not (user.is_staff or is_gendarme(user)):
        raise PermissionDenied(
            _("Les pages départementales sont réservées à la gendarmerie et à l’équipe %(brand)s.")
            % {"brand": current_brand().name}
        )
    enrolled = Commune.objects.filter(departement=code, enrolled=True)
    if not user.is_staff:
        enrolled = enrolled.filter(gendarme_area_q(user))
    communes = list(enrolled.order_by("name"))
    if not communes and not (user.is_staff and Commune.objects.filter(departement=code).exists()):
        raise Http404(_("Département inconnu ou hors de votre périmètre."))
    return communes


def _period(request: HttpRequest) -> tuple[date, date]:
    """From the GET form's months (`du`, `au`, YYYY-MM, both included); by default the API's last 12 months."""
    default = default_range()
    start = _month(request.GET.get("du")) or default.start
    end_month = _month(request.GET.get("au"))
    end = data.month_end(end_month) if end_month else default.end
    return (start, end) if start <= end and (end - start).days <= MAX_SPAN_DAYS else (default.start, default.end)


def _month(value: str | None) -> date | None:
    """A month of the form's, within the API's bounds (a year 9999 would overflow month_end); None otherwise."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    return first if EARLIEST <= first <= latest() else None


def _categories(choice: str) -> tuple[str, ...]:
    if choice == "all":
        return tuple(Category.values)
    if choice in Category.values:
        return (choice,)
    return tuple(BURGLARY_CATEGORIES)


def _category_choices() -> list[tuple[str, str]]:
    return [("burglaries", _("Cambriolages et tentatives")), ("all", _("Toutes les catégories")),
            *((value, str(label)) for value, label in Category.choices)]  # fmt: skip
