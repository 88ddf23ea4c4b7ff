"""Root URLs. Every API path answers with and without a trailing slash (no redirect on POST)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("communes.urls")),
    path("", include("alerts.urls")),
    path("", include("notifications.urls")),
    path("", include("stats.urls")),
    path("", include("audit.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    path("admin/", admin.site.urls),
    # Twilio's webhooks also answer outside /api/v1/, as the contract's Webhooks section writes them.
    path("", include(("notifications.urls", "webhooks"), namespace="root-webhooks")),
    path("", include("stats.dashboard_urls")),
]
