"""Identity endpoints: sign-in by SMS code, device sessions, profile, RGPD export and erasure."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from vigilants.api import plain_json, rendered_json

from . import rgpd, signin_cache
from .authentication import signed_in
from .models import AuthToken, User
from .otp import otp_request, sign_in
from .read_first import ReadFirst, ReadsFirst
from .serializers import (
    MeSerializer,
    OtpRequestSerializer,
    OtpVerifySerializer,
    SessionSerializer,
    SignInSerializer,
    me_question,
    me_representation,
)
from .token_lookup import asked


class OtpRequestView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "otp_ip"

    @extend_schema(
        request=OtpRequestSerializer,
        responses={
            202: None,
            400: OpenApiResponse(description="numéro invalide, pas un mobile, ou d'un pays non desservi"),
            429: None,
            503: OpenApiResponse(description="budget horaire de codes épuisé ou envoi saturé : voir Retry-After"),
        },
        summary="Envoie un code de connexion à 6 chiffres par SMS",
    )
    def post(self, request: Request) -> Response:
        serializer = OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        otp_request(phone=serializer.validated_data["phone"])
        return Response({"detail": _("Code envoyé.")}, status=status.HTTP_202_ACCEPTED)


class OtpVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "otp_verify_ip"

    @extend_schema(request=OtpVerifySerializer, responses={200: SignInSerializer}, summary="Échange le code contre un jeton")
    def post(self, request: Request) -> Response:
        serializer = OtpVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, key = sign_in(**serializer.validated_data)
        return Response({"token": key, "user": MeSerializer(user).data})


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Révoque le jeton de cet appareil")
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionList(generics.ListAPIView):
    """The signed-in devices of the current user."""

    serializer_class = SessionSerializer

    def get_queryset(self) -> QuerySet[AuthToken]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuthToken.objects.none()
        return AuthToken.objects.filter(user=signed_in(self.request)).order_by("-created_at")


class SessionDetail(APIView):
    @extend_schema(responses={204: None}, summary="Termine une session (un appareil)")
    def delete(self, request: Request, pk: str) -> Response:
        get_object_or_404(AuthToken, pk=pk, user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(ReadsFirst, generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    permission_classes = [IsAuthenticated]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self) -> User:
        return signed_in(self.request)

    def read_first(self, request: Request, **kwargs: Any) -> ReadFirst:
        # The answer itself is kept with the token: forgotten with it when the person, their territories or
        # anything else it shows changes (accounts/signin_cache.py).
        return ReadFirst(question=me_question(), body="me")  # the question: e.g. whether one operates a territory

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        if not plain_json(request):  # the browsable API, an indented JSON: DRF renders
            return Response(self._represented(request))
        body = signin_cache.kept_body(request)
        if body is None:
            body = JSONRenderer().render(self._represented(request))
            signin_cache.keep_body(request, body)
        return rendered_json(body)

    @staticmethod
    def _represented(request: Request) -> dict[str, Any]:
        question = me_question()
        return me_representation(signed_in(request), asked(request, question) if question else None)

    @extend_schema(responses={204: None}, summary="Efface mon compte (RGPD) ; mes signalements restent, anonymisés")
    def delete(self, request: Request) -> Response:
        rgpd.erase_user(signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeExportView(APIView):
    throttle_scope = "export"

    def get_throttles(self) -> list[BaseThrottle]:
        # The API's own rates, plus the exports' (THROTTLE_EXPORT): each gathers everything held on a person.
        return [*super().get_throttles(), ScopedRateThrottle()]

    @extend_schema(responses={200: dict}, summary="Toutes les données me concernant (RGPD, droit d'accès)")
    def get(self, request: Request) -> Response:
        return Response(rgpd.export_user(signed_in(request)))
