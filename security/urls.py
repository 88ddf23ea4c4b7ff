from django.urls import path

from . import views

urlpatterns = [
    path("security", views.security_page, name="security"),
    path("security/", views.security_page),
    path("security.json", views.security_json, name="security-json"),
    path(".well-known/security.txt", views.security_txt, name="security-txt"),
]
