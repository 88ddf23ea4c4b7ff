"""Who may open a desk page: the API's rules (`communes.access`), never a second copy of them.

A commune's desk is for its moderators (mayor and referents) and staff; mayor-only pages refuse referents.
The reports' pages (`reports=True`) also open to the operators of a territory the mayor delegated moderation to.
Someone who may read the commune's statistics (a gendarme of its area) but not moderate it gets the French
403 page; anyone else a 404, as the API answers for a commune outside one's reach.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from accounts.authentication import SignedInHttpRequest
from accounts.models import User
from communes.access import is_mayor, is_moderator, moderates_reports, reads_statistics
from communes.models import Commune
from stats.dashboard_views import dashboard_login_required

View = Callable[..., HttpResponse]


def desk_commune(user: User, insee: str, *, mayor_only: bool = False, reports: bool = False) -> Commune:
    """The commune whose desk `user` opens, or the 404/403 the API would answer."""
    commune = Commune.objects.filter(insee=insee, enrolled=True).first()
    if commune is None:
        raise Http404(_("Commune inconnue ou non inscrite."))
    if user.is_staff:
        return commune
    if not is_moderator(user, commune) and not (reports and moderates_reports(user, commune)):
        if reads_statistics(user, commune):
            raise PermissionDenied(_("Le bureau de la mairie est réservé au maire et aux référents de la commune."))
        raise Http404(_("Commune inconnue ou hors de votre périmètre."))
    if mayor_only and not is_mayor(user, commune):
        raise PermissionDenied(_("Cette page est réservée au maire de la commune."))
    return commune


def desk_page(*, mayor_only: bool = False, reports: bool = False) -> Callable[[View], View]:
    """A view of one commune's desk: called as view(request, commune, ...) once access is granted."""

    def decorate(view: View) -> View:
        @dashboard_login_required
        @wraps(view)
        def wrapped(request: SignedInHttpRequest, insee: str, *args: Any, **kwargs: Any) -> HttpResponse:
            commune = desk_commune(request.user, insee, mayor_only=mayor_only, reports=reports)
            request.desk_mayor = request.user.is_staff or is_mayor(request.user, commune)  # type: ignore[attr-defined]
            # Let in by a delegation alone: the menu offers the reports' pages only.
            request.desk_delegated = reports and not (request.user.is_staff or is_moderator(request.user, commune))  # type: ignore[attr-defined]
            return view(request, commune, *args, **kwargs)

        return wrapped

    return decorate
