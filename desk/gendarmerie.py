"""The gendarmerie's pages: who opens them, which alerts they read, the map of those alerts.

The alerts are the API's (`alerts.selectors.visible_alerts` for the same person), approved ones of the
gendarme's area only; positions are rounded as the API rounds them for anyone but a commune's moderators
(`alerts.geo.public_coordinate`), for everyone on these pages, staff included: they are the gendarmes' view.
Addresses and reporters are never shown here.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.authentication import SignedInHttpRequest
from accounts.models import User
from alerts.geo import public_coordinate
from alerts.models import Alert, AlertStatus
from alerts.selectors import visible_alerts
from communes.access import in_gendarme_area, is_gendarme
from communes.maps import CommuneMap, MapPoint
from communes.models import Commune
from stats.branding import current_brand
from stats.dashboard_views import dashboard_login_required
from vigilants.categories import Category

View = Callable[..., HttpResponse]
# The map draws the newest alerts of the filter, no more: a département's year would be a blot, and a long query.
MAP_LIMIT = 500


def opens_gendarmerie(user: User) -> bool:
    return user.is_authenticated and (user.is_staff or is_gendarme(user))


def gendarmerie_page(view: View) -> View:
    """Signed in through the dashboards (anonymous: sent to sign in), then a gendarme or staff; others 403."""

    @dashboard_login_required
    @wraps(view)
    def wrapped(request: SignedInHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not opens_gendarmerie(request.user):
            raise PermissionDenied(
                _("Les pages de la gendarmerie sont réservées aux gendarmes et à l’équipe %(brand)s.")
                % {"brand": current_brand().name}
            )
        return view(request, *args, **kwargs)

    return wrapped


def area_alerts(user: User) -> QuerySet[Alert]:
    """Approved alerts of the user's area, as the API shows them to that user (staff: every commune's)."""
    alerts = visible_alerts(user).filter(status=AlertStatus.APPROVED)
    if not user.is_staff:
        # The API also shows a gendarme the alerts of communes they belong to: not their area's, not here.
        alerts = alerts.filter(in_gendarme_area(user, "commune__"))
    return alerts


def area_communes(user: User) -> QuerySet[Commune]:
    """The communes offered by the filter: enrolled ones of the area (staff: all enrolled)."""
    communes = Commune.objects.filter(enrolled=True).order_by("name", "insee")
    return communes if user.is_staff else communes.filter(in_gendarme_area(user))


def public_position(alert: Alert) -> tuple[float, float] | None:
    if alert.latitude is None or alert.longitude is None:
        return None
    return (public_coordinate(alert.latitude), public_coordinate(alert.longitude))


def alerts_map(alerts: QuerySet[Alert], chosen: Commune | None) -> CommuneMap | None:
    """The newest placed alerts of the filter, one point per rounded position, on the outlines of their communes
    (of the chosen one, even without alerts). None when there is no commune to draw."""
    placed = alerts.filter(latitude__isnull=False, longitude__isnull=False).select_related(None).prefetch_related(None)
    rows = list(placed.values_list("pk", "commune_id", "latitude", "longitude", "category", "occurred_at")[:MAP_LIMIT])
    places: dict[tuple[float, float], list[tuple[int, str, datetime]]] = defaultdict(list)
    for pk, _commune, latitude, longitude, category, occurred_at in rows:
        if latitude is not None and longitude is not None:  # always (the filter above): said for the types
            places[(public_coordinate(latitude), public_coordinate(longitude))].append((pk, category, occurred_at))
    communes = [chosen] if chosen else list(Commune.objects.filter(pk__in={row[1] for row in rows}).order_by("name"))
    if not communes:
        return None
    points = [_point(position, found) for position, found in sorted(places.items())]
    return CommuneMap(
        communes[0], points, more_communes=communes[1:], caption=_("Positions arrondies des signalements de la carte"),
        title=_("Carte des signalements filtrés"), label_heading=_("Signalements"), note=_map_note(len(rows)),
    )  # fmt: skip


def alert_map(alert: Alert) -> CommuneMap:
    """One alert on its commune's map (no point when it has no position)."""
    position = public_position(alert)
    points = [MapPoint(position[0], position[1], label=alert_label(alert.category, alert.occurred_at))] if position else []
    return CommuneMap(alert.commune, points, title=_("Carte du signalement"), label_heading=_("Signalement"),
                      note=_("Position arrondie à environ 100 m ; le cadre est l’emprise de la commune."))  # fmt: skip


def alert_label(category: str, occurred_at: datetime) -> str:
    when = date_format(timezone.localtime(occurred_at), "SHORT_DATE_FORMAT")
    return _("%(category)s, le %(date)s") % {"category": Category(category).label, "date": when}


def _point(position: tuple[float, float], found: list[tuple[int, str, datetime]]) -> MapPoint:
    if len(found) == 1:
        pk, category, occurred_at = found[0]
        url = reverse("desk:gendarmerie-alert", args=[pk])
        return MapPoint(position[0], position[1], label=alert_label(category, occurred_at), url=url)
    label = ngettext("%(n)d signalement à cet endroit", "%(n)d signalements à cet endroit", len(found)) % {"n": len(found)}
    return MapPoint(position[0], position[1], label=label, count=len(found))


def _map_note(mapped: int) -> str:
    note = _("Positions arrondies à environ 100 m, comme l’application les montre ; chaque cadre est l’emprise d’une commune.")
    if mapped < MAP_LIMIT:
        return note
    limit = _("Seuls les %(n)d signalements les plus récents du filtre sont sur la carte.") % {"n": MAP_LIMIT}
    return f"{note} {limit}"
