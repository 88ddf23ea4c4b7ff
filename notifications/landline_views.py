"""Landline endpoints: the person's own (`/me/landline`), and the town hall's residents without a phone of their
own (`/communes/{insee}/landline-residents`). The rules are in landlines.py."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in
from communes.models import Neighbourhood
from communes.views_base import CommuneScopedMixin

from . import landlines
from .models import Landline


class LandlineRequestSerializer(serializers.Serializer[Any]):
    number = landlines.LandlineField()


class LandlineCodeSerializer(serializers.Serializer[Any]):
    code = serializers.RegexField(r"^[0-9]{6}$", error_messages={"invalid": _("Le code a 6 chiffres.")})


class MyLandline(APIView):
    @extend_schema(responses={200: dict, 404: None}, summary="Ma ligne fixe (appels vocaux)")
    def get(self, request: Request) -> Response:
        landline = Landline.objects.filter(user=signed_in(request)).first()
        if landline is None:
            return Response({"detail": _("Aucune ligne fixe enregistrée.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(landlines.representation(landline))

    @extend_schema(request=LandlineRequestSerializer,
                   responses={201: dict, 400: OpenApiResponse(description="pas une ligne fixe française"), 503: None},
                   summary="Enregistre ma ligne fixe : un appel lit le code de vérification")  # fmt: skip
    def post(self, request: Request) -> Response:
        serializer = LandlineRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        landline = landlines.register_landline(user=signed_in(request), phone=serializer.validated_data["number"])
        return Response(landlines.representation(landline), status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 404: None}, summary="Retire ma ligne fixe")
    def delete(self, request: Request) -> Response:
        deleted, _rows = Landline.objects.filter(user=signed_in(request)).delete()
        if not deleted:
            return Response({"detail": _("Aucune ligne fixe enregistrée.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyLandlineVerify(APIView):
    @extend_schema(request=LandlineCodeSerializer, responses={200: dict, 400: None},
                   summary="Vérifie ma ligne fixe avec le code lu par l'appel")  # fmt: skip
    def post(self, request: Request) -> Response:
        serializer = LandlineCodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        landline = landlines.verify_landline(user=signed_in(request), code=serializer.validated_data["code"])
        return Response(landlines.representation(landline))


class LandlineResidentSerializer(serializers.Serializer[Any]):
    display_name = serializers.CharField(max_length=80)
    landline = landlines.LandlineField()
    address = serializers.CharField(max_length=200)
    neighbourhood = serializers.IntegerField(required=False, allow_null=True)
    consent = serializers.BooleanField()
    consent_note = serializers.CharField(max_length=300)

    def validate_neighbourhood(self, value: int | None) -> Neighbourhood | None:
        if value is None:
            return None
        neighbourhood = Neighbourhood.objects.filter(pk=value, commune=self.context["commune"]).first()
        if neighbourhood is None:
            raise serializers.ValidationError(_("Ce quartier n'appartient pas à cette commune."))
        return neighbourhood

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(
                _("Le consentement de la personne est requis pour l'inscrire par sa ligne fixe."))  # fmt: skip
        return value


def resident_representation(landline: Landline) -> dict[str, Any]:
    membership = landline.user.memberships.get()
    return {
        "user": landline.user_id,
        "display_name": landline.user.display_name,
        "membership": membership.pk,
        "address": membership.address,
        "neighbourhood": membership.neighbourhood_id,
        "landline": landline.phone,
        "consent_at": landline.consent_at.isoformat() if landline.consent_at else None,
        "consent_note": landline.consent_note,
        "registered_by": landline.registered_by_id,
    }


class CommuneLandlineResidents(CommuneScopedMixin, APIView):
    commune_access = "mayor"

    @extend_schema(request=LandlineResidentSerializer, responses={201: dict, 400: None, 409: None},
                   summary="Inscrit un habitant sans téléphone à lui, joint sur sa ligne fixe (avec son accord)")  # fmt: skip
    def post(self, request: Request, insee: str) -> Response:
        commune = self.get_commune()
        serializer = LandlineResidentSerializer(data=request.data, context={"commune": commune})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("consent")
        landline = landlines.register_resident(commune=commune, actor=signed_in(request), **data)
        return Response(resident_representation(landline), status=status.HTTP_201_CREATED)
