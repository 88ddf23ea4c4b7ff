"""Routes of the desk's moderation pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from .moderation import views

REPORT = "communes/<str:insee>/reports/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("communes/<str:insee>/", views.inbox_page, name="inbox"),
    path("communes/<str:insee>/reports/", views.queue_page, name="queue"),
    path(REPORT, views.report_page, name="report"),
    path(f"{REPORT}approve/", views.approve, name="report-approve"),
    path(f"{REPORT}reject/", views.reject, name="report-reject"),
    path(f"{REPORT}edit/", views.edit, name="report-edit"),
    path(f"{REPORT}close/", views.close, name="report-close"),
    path(f"{REPORT}erratum/", views.erratum, name="report-erratum"),
]
