from vigilants.routes import route

from . import commune_views, views

urlpatterns = [
    route("alerts", views.AlertList.as_view(), name="alert-list"),
    route("alerts/<int:pk>", views.AlertDetail.as_view(), name="alert-detail"),
    route("alerts/<int:pk>/approve", views.AlertApprove.as_view(), name="alert-approve"),
    route("alerts/<int:pk>/reject", views.AlertReject.as_view(), name="alert-reject"),
    route("alerts/<int:pk>/followups", views.AlertFollowUps.as_view(), name="alert-followups"),
    route("alerts/<int:pk>/deliveries", views.AlertDeliveries.as_view(), name="alert-deliveries"),
    route("communes/<insee:insee>/broadcasts", commune_views.CommuneBroadcasts.as_view(), name="commune-broadcasts"),
    route("communes/<insee:insee>/policy", commune_views.CommunePolicyView.as_view(), name="commune-policy"),
]
