"""The public yearly balance, mounted at the site's root by vigilants/urls.py (no sign-in)."""

from django.urls import path, register_converter

from . import balance_views


class DataFormat:
    regex = "csv|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TerritoryKind:
    regex = "epci|departement"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DataFormat, "balance_format")
register_converter(TerritoryKind, "territory_kind")

app_name = "balance"

urlpatterns = [
    path("bilan/<territory_kind:kind>/<str:code>/<int:year>/", balance_views.territory_balance, name="territory"),
    path("bilan/<territory_kind:kind>/<str:code>/<int:year>.<balance_format:fmt>", balance_views.territory_balance,
         name="territory-data"),
    path("bilan/<str:insee>/", balance_views.commune_years, name="years"),
    path("bilan/<str:insee>/<int:year>/", balance_views.commune_balance, name="commune"),
    path("bilan/<str:insee>/<int:year>.<balance_format:fmt>", balance_views.commune_balance, name="commune-data"),
]
