"""The warning form of the desk: what the mayor typed, checked by the API's own serializer, errors by field.

No rule of its own but one: its channels are checkboxes, so none ticked is a mistake to point out, where
the API reads an absent `channels` as "every channel".
"""

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alerts.serializers import BroadcastCreateSerializer
from communes.models import Commune, Neighbourhood
from notifications.models import Channel

from .form_errors import add_drf_errors

FIELDS = ("title", "body", "urgent", "neighbourhoods", "channels")
CHANNEL_LABELS = {
    Channel.PUSH.value: gettext_lazy("Notification sur l'application"), Channel.SMS.value: gettext_lazy("SMS"),
    Channel.VOICE.value: gettext_lazy("Appel vocal, pour qui l'a choisi ou n'a qu'une ligne fixe"),
}  # fmt: skip


@dataclass
class WarningForm:
    """The fields as posted (shown again as typed) and, once valid, the serializer's validated data."""

    commune: Commune
    title: str = ""
    body: str = ""
    urgent: bool = False
    neighbourhoods: list[str] = field(default_factory=list)  # ids as posted: a bad one is shown, not dropped
    channels: list[str] = field(default_factory=lambda: list(CHANNEL_LABELS))
    errors: dict[str, list[str]] = field(default_factory=dict)
    valid: dict[str, Any] = field(default_factory=dict)  # broadcast_create's and broadcast_preview's arguments

    @classmethod
    def posted(cls, commune: Commune, data: QueryDict) -> "WarningForm":
        return cls(commune, title=data.get("title", ""), body=data.get("body", ""), urgent="urgent" in data,
                   neighbourhoods=data.getlist("neighbourhoods"), channels=data.getlist("channels"))  # fmt: skip

    def is_valid(self) -> bool:
        payload = {"title": self.title, "body": self.body, "urgent": self.urgent,
                   "neighbourhoods": self.neighbourhoods, "channels": self.channels}  # fmt: skip
        serializer = BroadcastCreateSerializer(data=payload, context={"commune": self.commune})
        if serializer.is_valid():
            self.valid = dict(serializer.validated_data)
        else:
            self.add_errors(serializer.errors)
        if not self.channels and "channels" not in self.errors:
            self.errors["channels"] = [_("Choisissez au moins un canal : la notification, le SMS, l'appel vocal.")]
        return not self.errors

    def add_errors(self, detail: Any) -> None:
        add_drf_errors(self.errors, detail, FIELDS)

    @property
    def chosen_neighbourhoods(self) -> list[Neighbourhood]:
        return list(self.valid.get("neighbourhoods") or [])



def limits() -> dict[str, int | None]:
    """The serializer's length limits, for the inputs' maxlength: one place says them."""
    fields = BroadcastCreateSerializer().fields
    return {name: getattr(fields[name], "max_length", None) for name in ("title", "body")}
