"""Push registration: POST /devices, DELETE /devices/{id}."""

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User

from .models import Device, Platform


class DeviceSerializer(serializers.ModelSerializer[Device]):
    fcm_token = serializers.CharField(max_length=4096, write_only=True)
    platform = serializers.ChoiceField(choices=Platform.choices)

    class Meta:
        model = Device
        fields = ["id", "fcm_token", "platform", "active", "created_at"]
        read_only_fields = ["active", "created_at"]
        # The token's uniqueness is handled by moving it, not by a validation error.
        extra_kwargs: dict[str, dict[str, Any]] = {"fcm_token": {"validators": []}}


def _owner(request: Request) -> User:
    """Whose devices: the signed-in person (these endpoints require it: DEFAULT_PERMISSION_CLASSES)."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user


class DeviceList(APIView):
    @extend_schema(request=DeviceSerializer, responses={201: DeviceSerializer, 200: DeviceSerializer})
    def post(self, request: Request) -> Response:
        serializer = DeviceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = register_device(user=_owner(request), **serializer.validated_data)
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(responses={200: DeviceSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(DeviceSerializer(Device.objects.filter(user=_owner(request)).order_by("pk"), many=True).data)


@transaction.atomic
def register_device(*, user: User, fcm_token: str, platform: str) -> tuple[Device, bool]:
    """A token belongs to whoever registered it last (a phone changing hands, a new sign-in)."""
    device, created = Device.objects.select_for_update().get_or_create(
        fcm_token=fcm_token, defaults={"user": user, "platform": platform}
    )
    if not created:
        device.user, device.platform, device.active, device.deactivated_reason = user, platform, True, ""
        device.save()
    return device, created


class DeviceDetail(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        get_object_or_404(Device, pk=pk, user=_owner(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
