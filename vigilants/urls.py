"""Root URLs. Every API path answers with and without a trailing slash (no redirect on POST)."""

from importlib import import_module

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from notifications.urls import webhook_urlpatterns
from stats import dashboard_auth

from .health import healthz

docs_view = SpectacularSwaggerSplitView.as_view(url_name="schema")


def _patterns(module: str) -> list[URLPattern | URLResolver]:
    """An app's patterns as they are: in one list with the others', not behind an `include("")` of its own,
    whose resolver Django would enter and leave for every request (a third of resolving `/me`, bench/herd)."""
    return list(import_module(module).urlpatterns)


# Django tries the patterns in order: the reads most frequent after a warning come first (bench/herd).
api_v1: list[URLPattern | URLResolver] = [
    *_patterns("alerts.urls"),
    *_patterns("accounts.urls"),
    *_patterns("communes.urls"),
    *_patterns("risks.urls"),
    *_patterns("notifications.urls"),
    *_patterns("stats.urls"),
    *_patterns("risks.feed_urls"),  # public CAP 1.2 documents and Atom feeds of the warnings
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's script is served as a file of its own (CSP: no inline script); its widgets set style
    # attributes, so inline styles are allowed on this page alone.
    path("docs/", csp_update({"style-src": [UNSAFE_INLINE]})(docs_view), name="docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    # The admin's sign-in is the staff's: password, then TOTP code, under the lockout (stats/dashboard_auth.py).
    # Matched before the admin's own login view; the admin site itself requires the verified session.
    path("admin/login/", dashboard_auth.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    # Twilio's webhooks also answer outside /api/v1/, as the contract's Webhooks section writes them.
    path("", include((webhook_urlpatterns, "webhooks"), namespace="root-webhooks")),
    path("", include("stats.dashboard_urls")),
    path("", include("desk.urls")),
    path("", include("communes.follow_page_urls")),
    path("", include("stats.balance_urls")),  # the public yearly balance (/bilan/…)
    path("", include("security.urls")),
]

# Unmatched paths and failures under /api/ answer JSON (vigilants/errors.py).
handler404 = "vigilants.errors.page_not_found"
handler500 = "vigilants.errors.server_error"
