"""The public CAP documents and Atom feeds, under /api/v1/ (vigilants/urls.py includes them)."""

from vigilants.routes import route

from . import feeds

urlpatterns = [
    route("warnings/<str:identifier>.cap", feeds.warning_document, name="warning-cap"),
    route("communes/<insee:insee>/warnings.atom", feeds.commune_feed, name="commune-warnings-atom"),
    route("departements/<str:code>/warnings.atom", feeds.departement_feed, name="departement-warnings-atom"),
]
