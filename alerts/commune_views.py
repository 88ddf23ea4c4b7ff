"""Commune-level alert endpoints: the mayor's broadcasts and moderation policy."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from communes.views_base import CommuneScopedMixin

from . import services
from .models import Alert, CommunePolicy
from .selectors import commune_broadcasts, disclosure_context, viewer
from .serializers import AlertSerializer, BroadcastCreateSerializer, PolicySerializer


class CommuneBroadcasts(CommuneScopedMixin, generics.ListAPIView[Alert]):
    """GET: the commune's broadcasts (members). POST: a mayor's warning, sent straight away."""

    serializer_class = AlertSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Alert.objects.none()
        return commune_broadcasts(viewer(self.request), self.get_commune())

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **disclosure_context(viewer(self.request))}

    @extend_schema(request=BroadcastCreateSerializer, responses={201: AlertSerializer})
    def post(self, request: Request, insee: str) -> Response:
        self.commune_access = "mayor"
        commune = self.get_commune()
        serializer = BroadcastCreateSerializer(data=request.data, context={"commune": commune})
        serializer.is_valid(raise_exception=True)
        alert = services.broadcast_create(commune=commune, actor=viewer(request), **serializer.validated_data)
        alert = Alert.objects.get(pk=alert.pk)
        return Response(AlertSerializer(alert, context=disclosure_context(viewer(request))).data, status=status.HTTP_201_CREATED)


class CommunePolicyView(CommuneScopedMixin, generics.GenericAPIView[CommunePolicy]):
    serializer_class = PolicySerializer
    commune_access = "moderator"

    def get(self, request: Request, insee: str) -> Response:
        return Response(PolicySerializer(CommunePolicy.for_commune(self.get_commune())).data)

    def patch(self, request: Request, insee: str) -> Response:
        self.commune_access = "mayor"
        commune = self.get_commune()
        serializer = PolicySerializer(CommunePolicy.for_commune(commune), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services.policy_update(commune=commune, actor=viewer(request), **serializer.validated_data)
        return Response(PolicySerializer(policy).data)
