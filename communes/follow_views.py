"""Following a commune's public warnings from the app: POST and DELETE /communes/{insee}/follow, GET /me/follows."""

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in

from .follow import follow_commune, follows_of, unfollow_commune
from .follow_serializers import FollowRequestSerializer, FollowSerializer
from .models import Commune, Follow


def _commune(insee: str) -> Commune:
    commune = Commune.objects.by_insee(insee)
    if commune is None:
        raise Http404
    return commune


class CommuneFollow(APIView):
    """Any signed-in person follows (or stops following) an enrolled commune's public warnings."""

    @extend_schema(
        request=FollowRequestSerializer,
        responses={201: FollowSerializer, 200: FollowSerializer,
                   409: OpenApiResponse(description="la commune ne participe pas au dispositif")},  # fmt: skip
        summary="Suivre les avis publics de la commune (ou changer ses choix)",
    )
    def post(self, request: Request, insee: str) -> Response:
        commune = _commune(insee)
        serializer = FollowRequestSerializer(data=request.data, context={"commune": commune})
        serializer.is_valid(raise_exception=True)
        user = signed_in(request)
        follow, started = follow_commune(user=user, commune=commune, **serializer.validated_data)
        follow = follows_of(user).get(pk=follow.pk)  # with its quartiers as they are now
        return Response(FollowSerializer(follow).data, status=status.HTTP_201_CREATED if started else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse(description="pas suivie")},
                   summary="Ne plus suivre les avis de la commune")  # fmt: skip
    def delete(self, request: Request, insee: str) -> Response:
        if not unfollow_commune(user=signed_in(request), commune=_commune(insee)):
            return Response({"detail": _("Vous ne suivez pas cette commune.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyFollows(generics.ListAPIView):
    """The communes I follow now (stopped follows are in GET /me/export)."""

    serializer_class = FollowSerializer

    def get_queryset(self) -> QuerySet[Follow]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Follow.objects.none()
        return follows_of(signed_in(self.request))
