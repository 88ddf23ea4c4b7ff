from vigilants.routes import route

from . import audit_views, follow_views, territory_views, views
from . import membership_views as memberships

urlpatterns = [
    route("communes", views.CommuneList.as_view(), name="commune-list"),
    route("communes/<str:insee>", views.CommuneDetail.as_view(), name="commune-detail"),
    route("communes/<insee:insee>/memberships", memberships.CommuneMemberships.as_view(), name="commune-memberships"),
    route("communes/<insee:insee>/audit", audit_views.CommuneAuditList.as_view(), name="commune-audit"),
    route("communes/<insee:insee>/neighbourhoods", memberships.CommuneNeighbourhoods.as_view(), name="neighbourhoods"),
    route("communes/<insee:insee>/follow", follow_views.CommuneFollow.as_view(), name="commune-follow"),
    route("communes/<insee:insee>/first-mayor", territory_views.CommuneFirstMayor.as_view(), name="commune-first-mayor"),
    route("communes/<insee:insee>/moderation-delegation", territory_views.CommuneModerationDelegation.as_view(),
          name="commune-moderation-delegation"),
    route("territories", territory_views.TerritoryList.as_view(), name="territory-list"),
    route("territories/<kind>/<code>", territory_views.TerritoryDetail.as_view(), name="territory-detail"),
    route("territories/<kind>/<code>/communes", territory_views.TerritoryCommunes.as_view(), name="territory-communes"),
    route("me/memberships", memberships.MyMemberships.as_view(), name="my-memberships"),
    route("me/follows", follow_views.MyFollows.as_view(), name="my-follows"),
    route("memberships/<int:pk>", memberships.MembershipDetail.as_view(), name="membership-detail"),
    route("memberships/<int:pk>/approve", memberships.MembershipApprove.as_view(), name="membership-approve"),
    route("memberships/<int:pk>/reject", memberships.MembershipReject.as_view(), name="membership-reject"),
]
