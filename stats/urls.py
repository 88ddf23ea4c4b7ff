"""Statistics API under /api/v1/."""

from vigilants.routes import route

from .territory_views import TerritoryStatisticsView
from .views import CommuneStatisticsView, ExportView

urlpatterns = [
    route("stats/communes/<insee:insee>", CommuneStatisticsView.as_view(), name="stats-commune"),
    route("stats/export", ExportView.as_view(), name="stats-export"),
    route("stats/territories/<kind>/<code>", TerritoryStatisticsView.as_view(), name="stats-territory"),
]
