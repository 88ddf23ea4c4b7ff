"""Routes of the desk's warnings pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from . import warnings_views as views

urlpatterns: list[URLPattern] = [
    path("communes/<str:insee>/warnings/", views.warning_list, name="warnings"),
    path("communes/<str:insee>/warnings/new/", views.warning_new, name="warning-new"),
    path("communes/<str:insee>/warnings/<int:pk>/", views.warning_detail, name="warning"),
    path("communes/<str:insee>/warnings/<int:pk>/report.json", views.warning_report, name="warning-report"),
]
