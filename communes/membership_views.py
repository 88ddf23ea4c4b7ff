"""Memberships and quartiers: join, approve, reject, change roles, leave."""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in
from accounts.models import User

from . import access, services

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission  # what DRF's views hold: permissions and their & | ~
from .membership_serializers import (
    MemberSerializer,
    MembershipRequestSerializer,
    MyMembershipSerializer,
    NeighbourhoodCreateSerializer,
    RejectSerializer,
    RoleSerializer,
)
from .models import Commune, Membership, MembershipStatus, Neighbourhood
from .serializers import NeighbourhoodSerializer
from .views_base import CommuneScopedMixin


def visible_memberships(user: User) -> QuerySet[Membership]:
    """Your own, and those of the communes you moderate. Anything else is 404."""
    if user.is_staff:
        return Membership.objects.all()
    return Membership.objects.filter(Q(user=user) | Q(commune_id__in=access.moderated_commune_ids(user)))


class CommuneMemberships(CommuneScopedMixin, generics.ListCreateAPIView):
    """GET: members of the commune (referents, mayors). POST: ask to join (any signed-in person)."""

    serializer_class = MemberSerializer
    commune_access = "moderator"

    @extend_schema(parameters=[OpenApiParameter("status", enum=MembershipStatus.values)])
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        queryset = Membership.objects.filter(commune=self.get_commune()).select_related("user", "commune")
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in MembershipStatus.values:
                raise ValidationError({"status": [_("Statut inconnu.")]})
            queryset = queryset.filter(status=wanted)
        return queryset.order_by("created_at")

    @extend_schema(request=MembershipRequestSerializer, responses={201: MyMembershipSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune = Commune.objects.by_insee(insee)
        if commune is None:
            return Response({"detail": _("Commune inconnue.")}, status=status.HTTP_404_NOT_FOUND)
        serializer = MembershipRequestSerializer(data=request.data, context={"commune": commune})
        serializer.is_valid(raise_exception=True)
        membership = services.membership_request(user=signed_in(request), commune=commune, **serializer.validated_data)
        return Response(MyMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MyMemberships(generics.ListAPIView):
    serializer_class = MyMembershipSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Membership.objects.none()
        return Membership.objects.filter(user=signed_in(self.request)).select_related("commune")


class MembershipActionView(APIView):
    """Base: finds a membership the user may see (404 otherwise), then checks the role needed."""

    needs = "moderator"

    def get_membership(self, request: Request, pk: str) -> Membership:
        user = signed_in(request)
        membership = get_object_or_404(visible_memberships(user).select_related("commune"), pk=pk)
        allowed = user.is_staff or (
            access.is_mayor(user, membership.commune_id)
            if self.needs == "mayor"
            else access.is_moderator(user, membership.commune_id)
        )
        if not allowed:
            raise PermissionDenied()
        return membership


class MembershipDecisionView(MembershipActionView):
    """Approve or reject: a referent decides on residents only (checked again under lock by the service)."""

    def get_membership(self, request: Request, pk: str) -> Membership:
        membership = super().get_membership(request, pk)
        services.ensure_may_decide(signed_in(request), membership)
        return membership


class MembershipApprove(MembershipDecisionView):
    @extend_schema(request=None, responses={200: MemberSerializer})
    def post(self, request: Request, pk: str) -> Response:
        membership = services.membership_approve(membership=self.get_membership(request, pk), actor=signed_in(request))
        return Response(MemberSerializer(membership).data)


class MembershipReject(MembershipDecisionView):
    @extend_schema(request=RejectSerializer, responses={200: MemberSerializer})
    def post(self, request: Request, pk: str) -> Response:
        membership = self.get_membership(request, pk)
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_reject(membership=membership, actor=signed_in(request), **serializer.validated_data)
        return Response(MemberSerializer(membership).data)


class MembershipDetail(MembershipActionView):
    needs = "mayor"

    @extend_schema(request=RoleSerializer, responses={200: MemberSerializer}, summary="Promouvoir ou rétrograder")
    def patch(self, request: Request, pk: str) -> Response:
        membership = self.get_membership(request, pk)
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_set_role(membership=membership, actor=signed_in(request), **serializer.validated_data)
        return Response(MemberSerializer(membership).data)

    @extend_schema(responses={204: None}, summary="Quitter la commune (ou, pour le maire, retirer un membre)")
    def delete(self, request: Request, pk: str) -> Response:
        user = signed_in(request)
        membership = get_object_or_404(visible_memberships(user), pk=pk)
        if membership.user_id != user.pk and not (user.is_staff or access.is_mayor(user, membership.commune_id)):
            raise PermissionDenied()
        services.membership_leave(membership=membership, actor=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommuneNeighbourhoods(CommuneScopedMixin, generics.ListCreateAPIView):
    """GET: anyone (people choose a quartier when they ask to join). POST: the commune's mayor."""

    commune_access = "mayor"
    serializer_class = NeighbourhoodSerializer
    pagination_class = None

    def get_permissions(self) -> Sequence["_SupportsHasPermission"]:
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    def get_queryset(self) -> QuerySet[Neighbourhood]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Neighbourhood.objects.none()
        commune = Commune.objects.by_insee(self.kwargs["insee"])
        if commune is None:
            raise Http404
        return Neighbourhood.objects.filter(commune=commune)

    @extend_schema(request=NeighbourhoodCreateSerializer, responses={201: NeighbourhoodSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune = self.get_commune()
        serializer = NeighbourhoodCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        neighbourhood = services.neighbourhood_create(commune=commune, actor=signed_in(request), **serializer.validated_data)
        return Response(NeighbourhoodSerializer(neighbourhood).data, status=status.HTTP_201_CREATED)
