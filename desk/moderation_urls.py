"""Routes of the desk's moderation pages (included by desk/urls.py under the desk's namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
