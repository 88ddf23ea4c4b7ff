"""Territories and their operators: the territories one operates, their communes, enrolling one with its first
mayor, replacing that mayor, and a mayor's delegation of the reports' moderation (docs/API.md)."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User

from . import access, operations
from .models import ModerationDelegation
from .territories import Territory, find_territory
from .territory_selectors import commune_with_figures, delegation_of, territory_detail, territory_rows
from .territory_serializers import DelegationSerializer, EnrolSerializer, MayorSerializer
from .views_base import CommuneScopedMixin


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - IsAuthenticated (the API's default) let only them in
    return request.user


def operated_territory(user: User, kind: str, code: str) -> Territory:
    """The territory if it exists (else 404) and the user operates it or is staff (else 403)."""
    territory = find_territory(kind, code)
    if territory is None:
        raise Http404
    if not access.operates_territory(user, kind, code):
        raise PermissionDenied(_("Réservé aux opérateurs de ce territoire."))
    return territory


class TerritoryList(APIView):
    @extend_schema(operation_id="territories_list", responses={200: dict},
                   summary="Les territoires que j’opère (intercommunalité, département)")
    def get(self, request: Request) -> Response:
        return Response(territory_rows(_user(request)))


class TerritoryDetail(APIView):
    @extend_schema(responses={200: dict}, summary="Un territoire : ses communes, leurs membres, abonnés et maires")
    def get(self, request: Request, kind: str, code: str) -> Response:
        return Response(territory_detail(operated_territory(_user(request), kind, code)))


class TerritoryCommunes(APIView):
    @extend_schema(request=EnrolSerializer, responses={201: dict},
                   summary="Inscrire une commune du territoire et nommer son premier maire")  # fmt: skip
    def post(self, request: Request, kind: str, code: str) -> Response:
        territory = operated_territory(_user(request), kind, code)
        serializer = EnrolSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        commune = operations.territory_enroll(territory=territory, actor=_user(request),
                                              insee=serializer.validated_data["insee"], mayor=serializer.person())  # fmt: skip
        return Response(commune_with_figures(commune), status=status.HTTP_201_CREATED)


class CommuneFirstMayor(CommuneScopedMixin, APIView):
    commune_access = "operator"

    @extend_schema(request=MayorSerializer, responses={200: dict}, summary="Remplacer le premier maire de la commune")
    def put(self, request: Request, insee: str) -> Response:
        commune = self.get_commune()
        serializer = MayorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        operations.first_mayor_replace(commune=commune, actor=_user(request), mayor=serializer.person())
        return Response(commune_with_figures(commune))


def delegation_view(delegation: ModerationDelegation | None) -> dict[str, Any]:
    if delegation is None:
        return {"territory": None}
    territory = find_territory(delegation.kind, delegation.code)
    return {"territory": f"{delegation.kind}-{delegation.code}", "kind": delegation.kind, "code": delegation.code,
            "name": territory.name if territory else delegation.code, "granted_at": delegation.granted_at}  # fmt: skip


class CommuneModerationDelegation(CommuneScopedMixin, APIView):
    """GET: the commune's mayors, its territories' operators, staff. POST, DELETE: its mayors and staff."""

    def get_commune_access(self) -> str:
        return "delegation" if self.request.method == "GET" else "mayor"

    @extend_schema(responses={200: dict}, summary="La délégation de la modération des signalements")
    def get(self, request: Request, insee: str) -> Response:
        return Response(delegation_view(delegation_of(self.get_commune())))

    @extend_schema(request=DelegationSerializer, responses={201: dict, 200: dict},
                   summary="Déléguer la modération des signalements à un territoire de la commune")  # fmt: skip
    def post(self, request: Request, insee: str) -> Response:
        commune = self.get_commune()
        serializer = DelegationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        territory = operations.commune_territory(commune, serializer.validated_data["territory"])
        replaced = delegation_of(commune) is not None
        delegation = operations.moderation_delegate(commune=commune, actor=_user(request), territory=territory)
        return Response(delegation_view(delegation), status=status.HTTP_200_OK if replaced else status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Reprendre la modération des signalements")
    def delete(self, request: Request, insee: str) -> Response:
        operations.moderation_undelegate(commune=self.get_commune(), actor=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
