from vigilants.routes import route

from . import views

urlpatterns = [
    route("communes", views.CommuneList.as_view(), name="commune-list"),
    route("communes/<insee:insee>", views.CommuneDetail.as_view(), name="commune-detail"),
]
