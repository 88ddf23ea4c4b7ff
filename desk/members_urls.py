"""Routes of the desk's members pages (included by desk/urls.py under the desk's namespace): members, quartiers,
the commune's rules, its audit log and its exports."""

from django.urls import URLPattern, path

from . import audit_views, export_views, landline_views, members_views, neighbourhood_views, policy_views

MEMBERS = "communes/<str:insee>/members/"

urlpatterns: list[URLPattern] = [
    path(MEMBERS, members_views.members, name="members"),
    path(f"{MEMBERS}landline/", landline_views.landline_resident, name="members-landline"),
    path(f"{MEMBERS}<int:pk>/approve/", members_views.approve, name="members-approve"),
    path(f"{MEMBERS}<int:pk>/reject/", members_views.reject, name="members-reject"),
    path(f"{MEMBERS}<int:pk>/role/", members_views.change_role, name="members-role"),
    path(f"{MEMBERS}<int:pk>/remove/", members_views.remove, name="members-remove"),
    path("communes/<str:insee>/neighbourhoods/", neighbourhood_views.neighbourhoods, name="neighbourhoods"),
    path("communes/<str:insee>/policy/", policy_views.policy, name="policy"),
    path("communes/<str:insee>/audit/", audit_views.audit, name="audit"),
    path("communes/<str:insee>/exports/", export_views.exports, name="exports"),
    path("communes/<str:insee>/exports/statistics/", export_views.export_statistics, name="exports-statistics"),
    path("communes/<str:insee>/exports/audit/", export_views.export_audit, name="exports-audit"),
]
