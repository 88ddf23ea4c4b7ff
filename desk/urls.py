"""The town hall's desk, mounted at /desk/ by vigilants/urls.py. Each concern routes its own pages."""

from django.urls import include, path

from . import views

app_name = "desk"

urlpatterns = [
    path("desk/", views.index, name="index"),
    path("desk/", include("desk.moderation_urls")),
    path("desk/", include("desk.warnings_urls")),
    path("desk/", include("desk.risks_urls")),
    path("desk/", include("desk.area_warnings_urls")),
    path("desk/", include("desk.members_urls")),
    path("desk/", include("desk.gendarmerie_urls")),
    path("desk/", include("desk.territory_urls")),
    path("desk/", include("desk.territory_dashboard_urls")),
]
