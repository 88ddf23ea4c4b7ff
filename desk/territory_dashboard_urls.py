"""Routes of a territory's dashboard (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from . import territory_dashboard

urlpatterns: list[URLPattern] = [
    path("territoire/<str:kind>/<str:code>/tableau/", territory_dashboard.dashboard, name="territory-dashboard"),
]
