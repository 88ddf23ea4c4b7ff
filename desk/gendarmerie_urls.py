"""Routes of the desk's gendarmerie pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from . import gendarmerie_views

urlpatterns: list[URLPattern] = [
    path("alerts/", gendarmerie_views.alerts, name="gendarmerie"),
    path("alerts/<int:pk>/", gendarmerie_views.alert, name="gendarmerie-alert"),
]
