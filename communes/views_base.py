"""Views scoped to a commune named by its INSEE code in the URL, with the access level they need."""

from typing import TYPE_CHECKING, Any

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import PermissionDenied

from accounts.read_first import NOTHING, ReadFirst, ReadsFirst
from accounts.token_lookup import asked

from . import access, kept
from .models import Commune

if TYPE_CHECKING:
    from rest_framework.request import Request

_CHECKS = {
    "member": access.is_member,
    "moderator": access.is_moderator,
    "mayor": access.is_mayor,
    "audit": access.reads_audit,
    "operator": access.operates,
    "delegation": lambda user, commune: access.is_mayor(user, commune) or access.operates(user, commune),
}


class CommuneScopedMixin(ReadsFirst):
    """`commune_access` (or get_commune_access(), by method) is "member", "moderator", "mayor", "audit" (mayors
    and the territories' operators), "operator" (the territories' operators), "delegation" (mayors and operators)
    or "stats". Staff pass every check.

    The commune itself is public reference data, so a refusal is a 403; objects inside it that the
    user may not see are 404 (their querysets are scoped).
    """

    commune_access = "member"
    # The commune from this process's copy while the communes' version read with the token is unchanged
    # (communes/kept.py): for reads that are mostly answered from caches (the statistics).
    kept_commune = False

    def get_commune_access(self) -> str:
        return self.commune_access

    def read_first(self, request: "Request", **kwargs: Any) -> ReadFirst:
        mine = ReadFirst(tuple(kept.version_keys())) if self.kept_commune else NOTHING
        return super().read_first(request, **kwargs) + mine

    def get_commune(self) -> Commune:
        if not hasattr(self, "_commune"):
            insee = self.kwargs["insee"]
            commune = kept.commune_by_insee(self.request, insee) if self.kept_commune else Commune.objects.by_insee(insee)
            if commune is None:
                raise Http404
            self._commune = commune
            self.check_commune_access(commune)
        return self._commune

    def check_commune_access(self, commune: Commune) -> None:
        user = self.request.user
        if user.is_staff:
            return
        if not user.is_authenticated:  # the views' permissions keep anonymous requests out before this
            allowed = False
        elif self.get_commune_access() == "stats":
            found = asked(self.request, access.moderated_by_insee(commune.insee))
            allowed = access.reads_statistics(user, commune, found.value if found else None)
        else:
            allowed = _CHECKS[self.get_commune_access()](user, commune)
        if not allowed:
            raise PermissionDenied(_("Réservé aux %(who)s de cette commune.") % {"who": _WHO[self.get_commune_access()]})


_WHO = {
    "member": gettext_lazy("membres"),
    "moderator": gettext_lazy("référents et maires"),
    "mayor": gettext_lazy("maires"),
    "audit": gettext_lazy("maires et opérateurs du territoire"),
    "operator": gettext_lazy("opérateurs du territoire"),
    "delegation": gettext_lazy("maires et opérateurs du territoire"),
    "stats": gettext_lazy("maires, référents et gendarmes"),
}
