"""Public warnings' API paths (docs/API.md, "Public warnings"), each with or without its trailing slash."""

from vigilants.routes import route

from . import territory_views, views

urlpatterns = [
    route("communes/<insee:insee>/warnings", views.CommuneWarnings.as_view(), name="commune-warnings"),
    route("communes/<insee:insee>/warning-delegates", views.WarningDelegates.as_view(), name="warning-delegates"),
    route("communes/<insee:insee>/warning-delegates/<int:user>", views.WarningDelegateDetail.as_view(),
          name="warning-delegate"),  # fmt: skip
    route("communes/<insee:insee>/risk-policy", views.CommuneRiskPolicy.as_view(), name="risk-policy"),
    route("communes/<insee:insee>/vigilance", views.CommuneVigilance.as_view(), name="commune-vigilance"),
    route("warnings", territory_views.AreaWarnings.as_view(), name="area-warnings"),
    route("warnings/preview", territory_views.AreaWarningPreview.as_view(), name="area-warning-preview"),
    route("warning-groups/<int:pk>", territory_views.AreaWarningDetail.as_view(), name="area-warning"),
    route("warning-groups/<int:pk>/update", territory_views.AreaWarningUpdate.as_view(), name="area-warning-update"),
    route("warning-groups/<int:pk>/end", territory_views.AreaWarningEnd.as_view(), name="area-warning-end"),
    route("communes/<insee:insee>/warning-partners", territory_views.WarningPartners.as_view(), name="warning-partners"),
    route("communes/<insee:insee>/warning-partners/<insee:partner>", territory_views.WarningPartnerDetail.as_view(),
          name="warning-partner"),  # fmt: skip
    route("warnings/instructions", views.WarningInstructions.as_view(), name="warning-instructions"),
    route("warnings/<int:pk>", views.WarningDetail.as_view(), name="warning-detail"),
    route("warnings/<int:pk>/update", views.WarningUpdate.as_view(), name="warning-update"),
    route("warnings/<int:pk>/end", views.WarningEnd.as_view(), name="warning-end"),
    route("vigilance/<int:pk>/relay", views.VigilanceRelay.as_view(), name="vigilance-relay"),
    route("vigilance/<int:pk>/dismiss", views.VigilanceDismiss.as_view(), name="vigilance-dismiss"),
]
