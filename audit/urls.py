from vigilants.routes import route

from . import views

urlpatterns = [
    route("communes/<insee:insee>/audit", views.CommuneAuditList.as_view(), name="commune-audit"),
]
