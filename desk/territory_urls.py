"""Routes of the desk's territory pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern, path

from . import territory_views

TERRITORY = "territories/<str:kind>/<str:code>/"

urlpatterns: list[URLPattern] = [
    path(TERRITORY, territory_views.territory_page, name="territory"),
    path(f"{TERRITORY}enrol/", territory_views.enrol, name="territory-enrol"),
    path(f"{TERRITORY}first-mayor/", territory_views.first_mayor, name="territory-first-mayor"),
]
