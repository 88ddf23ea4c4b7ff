"""Public warnings API: read by anyone, written by the commune's mayors and the referents they delegate.

Status codes follow docs/API.md ("403 or 404"): a commune is public, so refusing an action on it is 403; a
warning is public too, so acting on one you may not is 403, never 404; a thread that ended, or a row that is not
its thread's latest, is a 409.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from communes.models import Commune

from . import access, instructions, services
from .models import RiskWarning, VigilanceChange, WarningDelegate
from .selectors import listed_threads, open_vigilance, recent_vigilance
from .serializers import (
    DelegateGrantSerializer,
    DelegateSerializer,
    EndSerializer,
    InstructionQuerySerializer,
    InstructionSerializer,
    RiskPolicySerializer,
    VigilanceChangeSerializer,
    WarningSerializer,
    WarningWriteSerializer,
)


def _person(request: Request) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated()
    return user


def _commune(insee: str) -> Commune:
    commune = Commune.objects.by_insee(insee)
    if commune is None:
        raise Http404
    return commune


def _may_warn(user: User, commune: Commune) -> None:
    if not access.may_warn(user, commune):
        raise PermissionDenied(_("Réservé aux maires de cette commune et aux référents qu'ils ont désignés."))


def _manages(user: User, commune: Commune) -> None:
    if not access.manages_warnings(user, commune):
        raise PermissionDenied(_("Réservé aux maires de cette commune."))


def _created(warning: RiskWarning) -> Response:
    fresh = RiskWarning.objects.select_related("commune", "group").prefetch_related("neighbourhoods").get(pk=warning.pk)
    return Response(WarningSerializer(fresh).data, status=status.HTTP_201_CREATED)


class CommuneWarnings(generics.ListAPIView[RiskWarning]):
    """GET (anyone): each thread of the commune by its latest row, those in force first by date, then those that
    ended or expired in the last 30 days; `?current=true` for those in force only. POST: a new warning."""

    serializer_class = WarningSerializer

    def get_permissions(self) -> Any:
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    def get_queryset(self) -> QuerySet[RiskWarning]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return RiskWarning.objects.none()
        current = self.request.query_params.get("current", "").lower() in ("1", "true", "yes")
        return listed_threads(_commune(self.kwargs["insee"]), current_only=current)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "latest_rows": True}

    @extend_schema(request=WarningWriteSerializer, responses={201: WarningSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        actor = _person(request)
        _may_warn(actor, commune)
        serializer = WarningWriteSerializer(data=request.data, context={"commune": commune})
        serializer.is_valid(raise_exception=True)
        content = serializer.content()
        warning = services.warning_issue(commune=commune, actor=actor, **content.as_fields())
        return _created(warning)


class WarningDetail(generics.RetrieveAPIView[RiskWarning]):
    """GET (anyone): one row of a thread; `latest` names the row now in force."""

    serializer_class = WarningSerializer
    permission_classes = [AllowAny]
    queryset = RiskWarning.objects.select_related("commune", "group").prefetch_related("neighbourhoods")


def _warning(pk: int) -> RiskWarning:
    return get_object_or_404(RiskWarning.objects.select_related("commune"), pk=pk)


class WarningUpdate(APIView):
    """POST: an update of the thread (what changed; the rest stays); `id` must be the thread's latest row."""

    @extend_schema(request=WarningWriteSerializer, responses={201: WarningSerializer})
    def post(self, request: Request, pk: int) -> Response:
        previous = _warning(pk)
        actor = _person(request)
        _may_warn(actor, previous.commune)
        serializer = WarningWriteSerializer(data=request.data, partial=True, context={"commune": previous.commune})
        serializer.is_valid(raise_exception=True)
        warning = services.warning_update(previous=previous, actor=actor, **serializer.changes(previous))
        return _created(warning)


class WarningEnd(APIView):
    """POST `{text}`: the end of the thread; on phones it replaces the warning."""

    @extend_schema(request=EndSerializer, responses={201: WarningSerializer})
    def post(self, request: Request, pk: int) -> Response:
        previous = _warning(pk)
        actor = _person(request)
        _may_warn(actor, previous.commune)
        serializer = EndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        warning = services.warning_end(previous=previous, actor=actor, text=serializer.validated_data["text"])
        return _created(warning)


class WarningInstructions(APIView):
    """GET `?hazard=&level=` (anyone): the ready instructions, from official guidance, that a mayor edits."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter("hazard", str, required=True), OpenApiParameter("level", str)],
                   responses=InstructionSerializer)  # fmt: skip
    def get(self, request: Request) -> Response:
        query = InstructionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hazard, level = query.validated_data["hazard"], query.validated_data["level"]
        return Response({"hazard": hazard, "level": level, "instruction": instructions.ready_text(hazard, level),
                         "sources": instructions.sources(hazard)})  # fmt: skip


class WarningDelegates(generics.ListAPIView[WarningDelegate]):
    """GET, POST `{user}`: the referents a mayor lets issue warnings (mayors and staff)."""

    serializer_class = DelegateSerializer

    def get_queryset(self) -> QuerySet[WarningDelegate]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WarningDelegate.objects.none()
        commune = _commune(self.kwargs["insee"])
        _manages(_person(self.request), commune)
        return WarningDelegate.objects.filter(commune=commune).select_related("user", "granted_by")

    @extend_schema(request=DelegateGrantSerializer, responses={201: DelegateSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        actor = _person(request)
        _manages(actor, commune)
        serializer = DelegateGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delegate = services.delegate_grant(commune=commune, actor=actor, user=serializer.validated_data["user"])
        return Response(DelegateSerializer(delegate).data, status=status.HTTP_201_CREATED)


class WarningDelegateDetail(APIView):
    """DELETE: revoke a person's delegation (their user id)."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, insee: str, user: int) -> Response:
        commune = _commune(insee)
        actor = _person(request)
        _manages(actor, commune)
        delegate = get_object_or_404(WarningDelegate, commune=commune, user_id=user)
        services.delegate_revoke(delegate=delegate, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommuneRiskPolicy(APIView):
    """GET (moderators), PATCH `{relay_red_automatically}` (mayors): the commune's warning rules."""

    @extend_schema(responses=RiskPolicySerializer)
    def get(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        if not access.reads_vigilance(_person(request), commune):
            raise PermissionDenied(_("Réservé aux référents et maires de cette commune."))
        return Response(RiskPolicySerializer(services.risk_policy(commune)).data)

    @extend_schema(request=RiskPolicySerializer, responses=RiskPolicySerializer)
    def patch(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        actor = _person(request)
        _manages(actor, commune)
        serializer = RiskPolicySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = services.risk_policy_update(commune=commune, actor=actor, **serializer.validated_data)
        return Response(RiskPolicySerializer(policy).data)


class CommuneVigilance(generics.ListAPIView[VigilanceChange]):
    """GET (moderators): the rises still waiting for a decision (`?open=true`), or every change of the last 7 days."""

    serializer_class = VigilanceChangeSerializer

    def get_queryset(self) -> QuerySet[VigilanceChange]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return VigilanceChange.objects.none()
        commune = _commune(self.kwargs["insee"])
        if not access.reads_vigilance(_person(self.request), commune):
            raise PermissionDenied(_("Réservé aux référents et maires de cette commune."))
        if self.request.query_params.get("open", "").lower() in ("1", "true", "yes"):
            return open_vigilance(commune)
        return recent_vigilance(commune)


def _change(request: Request, pk: int) -> VigilanceChange:
    """A vigilance change its commune's moderators see (404 for anyone else: it is not public), which the
    caller may decide on (403 for a referent without delegation)."""
    change = get_object_or_404(VigilanceChange.objects.select_related("commune"), pk=pk)
    user = _person(request)
    if not access.reads_vigilance(user, change.commune):
        raise Http404
    _may_warn(user, change.commune)
    return change


class VigilanceRelay(APIView):
    """POST: relay the rise as a warning: the pre-filled one, with any field of a warning changed in the body."""

    @extend_schema(request=WarningWriteSerializer, responses={201: WarningSerializer})
    def post(self, request: Request, pk: int) -> Response:
        change = _change(request, pk)
        serializer = WarningWriteSerializer(data=request.data, partial=True, context={"commune": change.commune})
        serializer.is_valid(raise_exception=True)
        warning = services.vigilance_relay(change=change, actor=_person(request), **serializer.changes(None))
        return _created(warning)


class VigilanceDismiss(APIView):
    """POST: do not relay the rise (logged); the prompt closes."""

    @extend_schema(request=None, responses=VigilanceChangeSerializer)
    def post(self, request: Request, pk: int) -> Response:
        change = _change(request, pk)
        services.vigilance_dismiss(change=change, actor=_person(request))
        change = VigilanceChange.objects.select_related("decision", "decision__decided_by").get(pk=change.pk)
        return Response(VigilanceChangeSerializer(change).data)
