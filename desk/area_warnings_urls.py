"""A warning over several communes on the desk: not under one commune's desk, since it spans several."""

from django.urls import path

from . import area_warnings_views as views

PREFIX = "area-warnings/"

urlpatterns = [
    path(PREFIX + "new/", views.area_warning_new, name="area-warning-new"),
    path(PREFIX + "<int:pk>/", views.area_warning_detail, name="area-warning"),
    path(PREFIX + "<int:pk>/update/", views.area_warning_update_view, name="area-warning-update"),
    path(PREFIX + "<int:pk>/end/", views.area_warning_end_view, name="area-warning-end"),
]
