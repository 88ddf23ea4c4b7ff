"""Warnings over several communes (docs/API.md, "Warnings over several communes") and the partnerships that let a
mayor include a neighbouring commune.

Status codes as the rest of the warnings' API: communes and warnings are public, so refusing to warn one is 403
(naming it), never 404; an unknown INSEE code in the body is a 400 on `communes`; a group that ended is a 409.
"""

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from communes.models import Commune
from notifications.services import message_preview

from . import access, territory
from .models import AreaWarning, WarningPartnership
from .serializers import EndSerializer, WarningWriteSerializer
from .territory_serializers import (
    AreaWarningSerializer,
    AreaWarningWriteSerializer,
    PartnerGrantSerializer,
    PartnerSerializer,
    reach_data,
)
from .views import _commune, _manages, _person


def _may_warn_somewhere(user: User) -> None:
    """Before reading the body: someone who may warn no commune at all is refused whatever they send."""
    if not access.area_warnable(user).exists():
        raise PermissionDenied(_("Réservé aux opérateurs d'un territoire, aux maires et à leurs délégués."))


def _chosen(user: User, data: dict[str, Any]) -> tuple[list[Commune], dict[str, Any]]:
    """The communes of the body, each one the caller may warn (403 naming the others), and how they were chosen."""
    if "communes" in data:
        if refusal := access.area_refusal(user, data["communes"]):
            raise PermissionDenied(refusal)
        return data["communes"], {}
    center, radius = data["center"], data["radius_km"]
    found = territory.communes_within(center["latitude"], center["longitude"], radius, access.area_warnable(user))
    if not found:
        raise ValidationError({"radius_km": [_("Aucune commune inscrite que vous pouvez alerter dans ce rayon.")]})
    return found, {"center": (center["latitude"], center["longitude"]), "radius_km": radius}


def _valid(request: Request) -> tuple[AreaWarningWriteSerializer, list[Commune], dict[str, Any]]:
    actor = _person(request)
    _may_warn_somewhere(actor)
    serializer = AreaWarningWriteSerializer(data=request.data, context={"commune": None})
    serializer.is_valid(raise_exception=True)
    communes, how = _chosen(actor, dict(serializer.validated_data))
    return serializer, communes, how


def _group_data(result: territory.AreaWarningResult) -> dict[str, Any]:
    data = dict(AreaWarningSerializer(result.group, context={"rows": result.warnings}).data)
    data["message"] = result.message.pk
    data["reach"] = reach_data(message_preview(result.message))
    return data


class AreaWarnings(APIView):
    """POST: one warning to several communes (a list, or every one the caller may warn within a radius)."""

    @extend_schema(request=AreaWarningWriteSerializer, responses={201: AreaWarningSerializer})
    def post(self, request: Request) -> Response:
        serializer, communes, how = _valid(request)
        result = territory.area_warning_issue(communes=communes, content=serializer.content(),
                                              actor=_person(request), **how)  # fmt: skip
        return Response(_group_data(result), status=status.HTTP_201_CREATED)


class AreaWarningPreview(APIView):
    """POST: what POST /warnings would reach, by channel, each person once; nothing is written."""

    @extend_schema(request=AreaWarningWriteSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        serializer, communes, _how = _valid(request)
        preview = territory.area_warning_preview(communes=communes, content=serializer.content(), actor=_person(request))
        return Response({"communes": [c.insee for c in communes], "reach": reach_data(preview)})


def _group(pk: int) -> AreaWarning:
    return get_object_or_404(AreaWarning, pk=pk)


def _may_write_group(user: User, group: AreaWarning) -> None:
    if refusal := access.area_refusal(user, [row.commune for row in territory.group_rows(group)]):
        raise PermissionDenied(refusal)


class AreaWarningDetail(APIView):
    """GET (anyone): the group, who sent it, and each commune's row now in force."""

    permission_classes = [AllowAny]

    @extend_schema(responses=AreaWarningSerializer)
    def get(self, request: Request, pk: int) -> Response:
        group = _group(pk)
        return Response(AreaWarningSerializer(group, context={"rows": territory.group_rows(group)}).data)


class AreaWarningUpdate(APIView):
    """POST: an update of every commune's thread (the fields that change); needs the right to warn each of them."""

    @extend_schema(request=WarningWriteSerializer, responses={201: AreaWarningSerializer})
    def post(self, request: Request, pk: int) -> Response:
        group, actor = _group(pk), _person(request)
        _may_write_group(actor, group)
        first = territory.group_rows(group)[0]
        serializer = WarningWriteSerializer(data=request.data, partial=True, context={"commune": first.commune})
        serializer.is_valid(raise_exception=True)
        result = territory.area_warning_update(group=group, actor=actor, **serializer.changes(first))
        return Response(_group_data(result), status=status.HTTP_201_CREATED)


class AreaWarningEnd(APIView):
    """POST `{text}`: the end of every commune's thread."""

    @extend_schema(request=EndSerializer, responses={201: AreaWarningSerializer})
    def post(self, request: Request, pk: int) -> Response:
        group, actor = _group(pk), _person(request)
        _may_write_group(actor, group)
        serializer = EndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = territory.area_warning_end(group=group, actor=actor, text=serializer.validated_data["text"])
        return Response(_group_data(result), status=status.HTTP_201_CREATED)


class WarningPartners(APIView):
    """GET, POST `{insee}`: the communes whose mayors may include this one in their warnings (its mayors, staff)."""

    @extend_schema(responses=PartnerSerializer(many=True))
    def get(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        _manages(_person(request), commune)
        rows = WarningPartnership.objects.filter(commune=commune).select_related("partner")
        return Response(PartnerSerializer(rows, many=True).data)

    @extend_schema(request=PartnerGrantSerializer, responses={201: PartnerSerializer})
    def post(self, request: Request, insee: str) -> Response:
        commune, actor = _commune(insee), _person(request)
        _manages(actor, commune)
        serializer = PartnerGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        partnership = territory.partnership_grant(commune=commune, partner=serializer.validated_data["insee"], actor=actor)
        return Response(PartnerSerializer(partnership).data, status=status.HTTP_201_CREATED)


class WarningPartnerDetail(APIView):
    """DELETE: this commune no longer accepts warnings from that one."""

    @extend_schema(responses={204: None})
    def delete(self, request: Request, insee: str, partner: str) -> Response:
        commune, actor = _commune(insee), _person(request)
        _manages(actor, commune)
        partnership = get_object_or_404(WarningPartnership.objects.select_related("partner", "commune"),
                                        commune=commune, partner__insee=partner)  # fmt: skip
        territory.partnership_revoke(partnership=partnership, actor=actor)
        return Response(status=status.HTTP_204_NO_CONTENT)
