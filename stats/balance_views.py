"""/bilan/…: the public yearly balance, without sign-in, at URLs a council can cite (docs/API.md).

Not enrolled, unknown, or a year before enrolment or after this one: the site's 404. The figures of a
commune or a territory for a year are computed once and kept in the cache (an hour for the current year,
a day for a past one), which also gives their Last-Modified; the ETag is the answer's own hash, and the
conditional GET middleware answers 304 to a client that has it.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import http_date
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from communes.models import Commune
from communes.territories import Territory, find_territory

from . import balance, balance_render

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
PAST_SECONDS = 86400
CURRENT_SECONDS = 3600


def _commune(insee: str) -> Commune:
    commune = Commune.objects.by_insee(insee)
    if commune is None or not commune.enrolled:
        raise Http404
    return commune


def _territory(kind: str, code: str) -> Territory:
    territory = find_territory(kind, code)
    if territory is None:
        raise Http404
    return territory


def _check_year(year: int, years: list[int]) -> None:
    if year not in years:
        raise Http404


def _computed(key: str, year: int, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The balance from the cache, or computed and kept there (its `computed_at` is its Last-Modified)."""
    key = f"balance:{key}:{year}:{get_language()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CURRENT_SECONDS if found["period"]["provisional"] else PAST_SECONDS)
    return found


def _answer(request: HttpRequest, data: dict[str, Any], fmt: str, template: str, context: dict[str, Any]) -> HttpResponse:
    if fmt == "json":
        response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=1), content_type=CONTENT_TYPES[fmt])
    elif fmt == "csv":
        response = HttpResponse(balance_render.csv_text(data), content_type=CONTENT_TYPES[fmt])
    else:
        # Rendered as for anyone: the page is cached publicly, so no one's menu or name is in it.
        page = {"balance": data, "sections": balance_render.sections(data), "user": AnonymousUser(),
                "period": balance.year_range(data["period"]["year"]),
                "computed_at": datetime.fromisoformat(data["computed_at"]), **context}  # fmt: skip
        response = render(request, template, page)
    return _cacheable(response, data)


def _cacheable(response: HttpResponse, data: dict[str, Any]) -> HttpResponse:
    seconds = CURRENT_SECONDS if data["period"]["provisional"] else PAST_SECONDS
    response["Cache-Control"] = f"public, max-age={seconds}"
    response["Last-Modified"] = http_date(datetime.fromisoformat(data["computed_at"]).timestamp())
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["Link"] = f'<{balance.LICENCE["url"]}>; rel="license"'
    return response


@require_safe
def commune_years(request: HttpRequest, insee: str) -> HttpResponse:
    """/bilan/{insee}/: the years a balance is published for."""
    commune = _commune(insee)
    return render(request, "balance/years.html", {"commune": commune, "years": balance.commune_years(commune),
                                                  "user": AnonymousUser()})  # fmt: skip


@require_safe
def commune_balance(request: HttpRequest, insee: str, year: int, fmt: str = "html") -> HttpResponse:
    commune = _commune(insee)
    _check_year(year, balance.commune_years(commune))
    data = _computed(f"commune:{commune.insee}", year, lambda: balance.commune_balance(commune, year))
    return _answer(request, data, fmt, "balance/commune.html", {"commune": commune, "year": year})


@require_safe
def territory_balance(request: HttpRequest, kind: str, code: str, year: int, fmt: str = "html") -> HttpResponse:
    territory = _territory(kind, code)
    _check_year(year, balance.territory_years(territory))
    data = _computed(territory.slug, year, lambda: balance.territory_balance(territory, year))
    communes = [{**line, "sections": balance_render.sections(line)} for line in data["communes"]]
    return _answer(request, data, fmt, "balance/territory.html",
                   {"territory": territory, "year": year, "commune_lines": communes})  # fmt: skip
