import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from vigilants.categories import Category

from .models import AuthToken, User
from .phone import MobileField
from .token_lookup import Also, Asked

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
CHANNELS = ("push", "sms", "voice")  # voice: a call that speaks each alert (notifications/voice.py)


class OtpRequestSerializer(serializers.Serializer):
    phone = MobileField()


class OtpVerifySerializer(serializers.Serializer):
    phone = MobileField()
    code = serializers.RegexField(r"^[0-9]{6}$", error_messages={"invalid": gettext_lazy("Le code a 6 chiffres.")})
    device_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class QuietHoursSerializer(serializers.Serializer):
    start = serializers.RegexField(_HHMM, error_messages={"invalid": gettext_lazy("Heure au format HH:MM.")})
    end = serializers.RegexField(_HHMM, error_messages={"invalid": gettext_lazy("Heure au format HH:MM.")})

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        # Always both ends, even in a partial update; a window may cross midnight (22:00 → 07:00).
        if "start" not in attrs or "end" not in attrs:
            raise serializers.ValidationError(_("Indiquez le début et la fin."))
        if attrs["start"] == attrs["end"]:
            raise serializers.ValidationError(_("Le début et la fin doivent différer."))
        return attrs


class PreferencesSerializer(serializers.Serializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNELS), max_length=len(CHANNELS))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), allow_null=True, required=False, default=None
    )
    quiet_hours = QuietHoursSerializer(allow_null=True, required=False, default=None)

    def validate_channels(self, value: list[str]) -> list[str]:
        return sorted(set(value), key=CHANNELS.index)


class MeSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(read_only=True)
    preferences = PreferencesSerializer()

    class Meta:
        model = User
        fields = ["id", "phone", "display_name", "preferences"]

    def update(self, user: User, validated: dict[str, Any]) -> User:
        if "preferences" in validated:
            user.preferences = {**user.preferences, **validated["preferences"]}
        if "display_name" in validated:
            user.display_name = validated["display_name"].strip()
        user.save(update_fields=["preferences", "display_name"])
        return user


class _SharedRepresentation:
    """`MeSerializer(user).data` without building the serializer's fields for every request.

    DRF deep-copies and binds a serializer's fields each time one is made: about a tenth of a signed-in
    `GET /me`. Representing reads nothing of the request, so one serializer, its fields built once, represents
    every user (its fields are only read).
    """

    def __init__(self) -> None:
        self._serializer: MeSerializer | None = None

    def __call__(self, user: User, answered: Asked | None = None) -> dict[str, Any]:
        """`answered`: the question of a field (MeField.question), answered with the token."""
        if self._serializer is None:
            self._serializer = MeSerializer()  # built on first use: the models are ready by then
        represented = dict(self._serializer.to_representation(user))
        for name, field in _ME_FIELDS.items():
            known = answered is not None and answered.answered and answered.also == field.question
            represented[name] = field.read(user, answered.value) if known and answered else field.read(user, UNASKED)
        return represented


me_representation = _SharedRepresentation()

UNASKED = object()  # a field's question was not answered with the token: the field asks it itself


@dataclass(frozen=True)
class MeField:
    """`read(user, answer)`: the field's value; `answer` is the value of `question` read with the token (and kept
    with it, accounts/signin_cache.py), or UNASKED."""

    read: Callable[[User, Any], Any]
    question: Also | None = None


# What the apps above add to `GET /me` (e.g. the territories one operates), registered in their AppConfig.ready:
# accounts imports none of them.
_ME_FIELDS: dict[str, MeField] = {}


def register_me_field(name: str, read: Callable[[User, Any], Any], question: Also | None = None) -> None:
    _ME_FIELDS[name] = MeField(read, question)


def me_question() -> Also | None:
    """The question GET /me asks with the token: the first field's that has one (one per request)."""
    return next((field.question for field in _ME_FIELDS.values() if field.question is not None), None)


class SignInSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = MeSerializer()


class SessionSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()

    class Meta:
        model = AuthToken
        fields = ["id", "device_name", "created_at", "last_used_at", "current"]

    def get_current(self, token: AuthToken) -> bool:
        return token.pk == getattr(self.context["request"].auth, "pk", None)
