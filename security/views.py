"""The security self-assessment, public: a page, its JSON, and security.txt (RFC 9116) when a contact is set."""

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_GET

from .controls import report

# Computed at most once a minute per process: the page is public, and each view reads the database.
CACHE_SECONDS = 60


@require_GET
@cache_page(CACHE_SECONDS)
def security_page(request: HttpRequest) -> HttpResponse:
    current = report()
    counts = {status: sum(1 for c in current.controls if c.status == status) for status in ("ok", "partial", "missing")}
    context = {"report": current, "counts": counts, "generated": timezone.localtime()}
    return render(request, "security/report.html", context)


@require_GET
@cache_page(CACHE_SECONDS)
def security_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(report().as_dict(), json_dumps_params={"ensure_ascii": False})


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    if not settings.SECURITY_CONTACT:
        raise Http404
    expires = (timezone.now() + timedelta(days=180)).replace(microsecond=0).isoformat()
    lines = [f"Contact: {settings.SECURITY_CONTACT}", f"Expires: {expires}", "Preferred-Languages: fr, en",
             f"Canonical: {settings.PUBLIC_BASE_URL}/.well-known/security.txt",
             f"Policy: {settings.PUBLIC_BASE_URL}/security"]  # fmt: skip
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
