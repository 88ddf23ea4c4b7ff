"""Routes of the desk's public-warning pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from . import risks_views as views

PREFIX = "communes/<str:insee>/risks/"

urlpatterns: list[URLPattern] = [
    path(PREFIX, views.risk_list, name="risks"),
    path(PREFIX + "new/", views.risk_new, name="risk-new"),
    path(PREFIX + "<int:pk>/", views.risk_thread, name="risk"),
    path(PREFIX + "<int:pk>/report.json", views.risk_report, name="risk-report"),
    path(PREFIX + "<int:pk>/update/", views.risk_update, name="risk-update"),
    path(PREFIX + "<int:pk>/end/", views.risk_end, name="risk-end"),
    path(PREFIX + "vigilance/", views.vigilance_list, name="risk-vigilance-list"),
    path(PREFIX + "vigilance/<int:pk>/", views.vigilance_detail, name="risk-vigilance"),
    path(PREFIX + "vigilance/<int:pk>/relay/", views.vigilance_relay_now, name="risk-vigilance-relay"),
    path(PREFIX + "vigilance/<int:pk>/dismiss/", views.vigilance_dismiss_now, name="risk-vigilance-dismiss"),
    path(PREFIX + "delegates/", views.delegates, name="risk-delegates"),
    path(PREFIX + "delegates/<int:user>/revoke/", views.delegate_revoke_view, name="risk-delegate-revoke"),
    path(PREFIX + "policy/", views.policy, name="risk-policy"),
]
