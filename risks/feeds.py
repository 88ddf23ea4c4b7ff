"""Public CAP 1.2 documents and Atom feeds of the warnings (docs/cap.md): no sign-in, cacheable for a minute.

Django's ConditionalGetMiddleware gives each answer its ETag and answers 304 to a reader that has it already, so
an aggregator polling every minute costs one query and no body.
"""

import re
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from communes.models import Commune

from .cap import ATOM_CONTENT_TYPE, CAP_CONTENT_TYPE, atom_feed, warning_cap
from .models import RiskWarning

FEED_MAX_ENTRIES = 200
# A message stays in the feeds while it is valid, and a day after it was sent (a Cancel, a warning that ended
# early), so that a reader polling now and then still sees how each thread ended.
FEED_RECENT = timedelta(days=1)
_DEPARTEMENT = re.compile(r"[0-9]{2,3}|2[AB]")


@require_safe
def warning_document(request: HttpRequest, identifier: str) -> HttpResponse:
    try:
        key = uuid.UUID(identifier)
    except ValueError:
        raise Http404 from None
    warning = RiskWarning.objects.select_related("commune").filter(identifier=key).first()
    if warning is None:
        raise Http404
    return _public(HttpResponse(warning_cap(warning), content_type=CAP_CONTENT_TYPE))


@require_safe
def commune_feed(request: HttpRequest, insee: str) -> HttpResponse:
    commune = Commune.objects.by_insee(insee)
    if commune is None:
        raise Http404
    warnings = _current(RiskWarning.objects.filter(commune=commune))
    title = _("Avis de risque — %(commune)s") % {"commune": commune.name}
    url = f"{settings.PUBLIC_BASE_URL}/api/v1/communes/{commune.insee}/warnings.atom"
    return _public(HttpResponse(atom_feed(title=title, self_url=url, warnings=warnings), content_type=ATOM_CONTENT_TYPE))


@require_safe
def departement_feed(request: HttpRequest, code: str) -> HttpResponse:
    code = code.upper()
    if not _DEPARTEMENT.fullmatch(code) or not Commune.objects.filter(departement=code).exists():
        raise Http404
    warnings = _current(RiskWarning.objects.filter(commune__departement=code))
    title = _("Avis de risque — département %(code)s") % {"code": code}
    url = f"{settings.PUBLIC_BASE_URL}/api/v1/departements/{code}/warnings.atom"
    return _public(HttpResponse(atom_feed(title=title, self_url=url, warnings=warnings), content_type=ATOM_CONTENT_TYPE))


def _current(rows: QuerySet[RiskWarning]) -> QuerySet[RiskWarning]:
    now = timezone.now()
    recent = Q(expires_at__gt=now) | Q(sent_at__gte=now - FEED_RECENT)
    return rows.filter(recent).select_related("commune").order_by("-sent_at", "-pk")[:FEED_MAX_ENTRIES]


def _public(response: HttpResponse) -> HttpResponse:
    # Public documents: any cache may keep them a minute (PrivateResponsesMiddleware leaves a chosen policy alone).
    patch_cache_control(response, public=True, max_age=60)
    response["Access-Control-Allow-Origin"] = "*"  # a media partner's page may read them from its own site
    return response
