"""Routes of the desk's members pages (included by desk/urls.py under the desk's namespace): members, quartiers,
the commune's rules and its audit log."""

from django.urls import URLPattern, path

from . import audit_views, members_views, neighbourhood_views, policy_views

MEMBERS = "communes/<str:insee>/members/"

urlpatterns: list[URLPattern] = [
    path(MEMBERS, members_views.members, name="members"),
    path(f"{MEMBERS}<int:pk>/approve/", members_views.approve, name="members-approve"),
    path(f"{MEMBERS}<int:pk>/reject/", members_views.reject, name="members-reject"),
    path(f"{MEMBERS}<int:pk>/role/", members_views.change_role, name="members-role"),
    path(f"{MEMBERS}<int:pk>/remove/", members_views.remove, name="members-remove"),
    path("communes/<str:insee>/neighbourhoods/", neighbourhood_views.neighbourhoods, name="neighbourhoods"),
    path("communes/<str:insee>/policy/", policy_views.policy, name="policy"),
    path("communes/<str:insee>/audit/", audit_views.audit, name="audit"),
]
