"""The public page to follow a commune's warnings by SMS, mounted at the site's root by vigilants/urls.py."""

from django.urls import path

from . import follow_pages

app_name = "follow"

urlpatterns = [
    path("suivre/<str:insee>/", follow_pages.follow_phone, name="phone"),
    path("suivre/<str:insee>/code/", follow_pages.follow_code, name="code"),
    path("suivre/<str:insee>/quartiers/", follow_pages.follow_choose, name="choose"),
    path("suivre/<str:insee>/arreter/", follow_pages.follow_stop, name="stop"),
    path("suivre/<str:insee>/terminer/", follow_pages.follow_forget, name="forget"),
]
