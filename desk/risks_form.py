"""The desk's public-warning form: what the mayor typed, checked by the API's own serializer, errors by field.

The same form writes a new warning, an update (pre-filled with the thread's latest row) and the relay of a
vigilance (pre-filled with its draft): every field is posted each time, so that what is previewed is exactly what
is sent. The rules the serializer cannot know (the clock, the commune, the thread) are the service's, whose
refusals come back here by field.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from communes.models import Commune, Neighbourhood
from risks import instructions
from risks.models import LEVEL_CAP, AreaKind, Hazard, Level
from risks.serializers import WarningWriteSerializer
from risks.services import CAP_FIELDS, DEFAULT_VALIDITY, Content

from .form_errors import add_drf_errors

FIELDS = ("hazard", "level", "title", "description", "instruction", "expires_at", "area_kind", "neighbourhoods",
          "latitude", "longitude", "radius_m", "severity", "urgency", "certainty")  # fmt: skip
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> shows and posts, in Paris time
OPTIONAL = ("latitude", "longitude", "radius_m", "severity", "urgency", "certainty")  # empty: not given


def local_input(value: datetime) -> str:
    return timezone.localtime(value).strftime(LOCAL_MINUTE)


class CheckedContent:
    """A desk form checked by the API's serializer: its content, once valid."""

    content: Content | None

    @property
    def valid_content(self) -> Content:
        if self.content is None:
            raise ValueError("the form was not validated")
        return self.content


@dataclass
class RiskForm(CheckedContent):
    """The fields as posted (shown again as typed) and, once valid, the warning's content."""

    commune: Commune
    hazard: str = Hazard.FLOOD.value
    level: str = Level.YELLOW.value
    title: str = ""
    description: str = ""
    instruction: str = ""
    expires_at: str = ""
    area_kind: str = AreaKind.COMMUNE.value
    neighbourhoods: list[str] = field(default_factory=list)  # ids as posted: a bad one is shown, not dropped
    latitude: str = ""
    longitude: str = ""
    radius_m: str = ""
    severity: str = ""
    urgency: str = ""
    certainty: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    content: Content | None = None

    @classmethod
    def posted(cls, commune: Commune, data: QueryDict) -> "RiskForm":
        form = cls(commune, neighbourhoods=data.getlist("neighbourhoods"))
        for name in FIELDS:
            if name != "neighbourhoods":
                setattr(form, name, str(data.get(name, "")).strip())
        return form

    @classmethod
    def blank(cls, commune: Commune, hazard: str | None, level: str | None) -> "RiskForm":
        """A new warning: the hazard and level asked for (a link, the "Proposer les consignes" button), their
        ready instructions, valid for a day."""
        form = cls(commune, expires_at=local_input(timezone.now() + DEFAULT_VALIDITY))
        form.hazard = hazard if hazard in Hazard.values else form.hazard
        form.level = level if level in Level.values else form.level
        form.instruction = instructions.ready_text(form.hazard, form.level)
        return form

    @classmethod
    def of(cls, commune: Commune, content: Content) -> "RiskForm":
        """Pre-filled with a warning's content: the thread's latest row (an update), a vigilance's draft."""
        area = content.area
        # The CAP triple only where the mayor chose it: the level's own is left empty, so that choosing another level
        # in the form brings that level's triple instead of keeping this one.
        defaults = dict(zip(CAP_FIELDS, LEVEL_CAP[Level(content.level)], strict=True))

        def text(value: object) -> str:
            return "" if value is None else str(value)

        def chosen(name: str) -> str:
            value = getattr(content, name)
            return "" if value is None or value == defaults[name] else str(value)

        return cls(commune, hazard=content.hazard, level=content.level, title=content.title,
                   description=content.description, instruction=content.instruction,
                   expires_at=local_input(content.expires_at), area_kind=area.kind,
                   neighbourhoods=[str(n.pk) for n in area.neighbourhoods], latitude=text(area.latitude),
                   longitude=text(area.longitude), radius_m=text(area.radius_m), severity=chosen("severity"),
                   urgency=chosen("urgency"), certainty=chosen("certainty"))  # fmt: skip

    @property
    def instruction_is_ready(self) -> bool:
        """Whether the instructions are the ready ones of the hazard and level (or none): desk/risks.js may then
        replace them when another hazard or level is chosen; the mayor's own words it never replaces."""
        if not self.instruction:
            return True
        if self.hazard not in Hazard.values or self.level not in Level.values:
            return False
        return self.instruction == instructions.ready_text(self.hazard, self.level)

    def refill_instruction(self) -> None:
        """The ready text of the hazard and level chosen (the mayor asked for it: what they typed is replaced)."""
        if self.hazard in Hazard.values and self.level in Level.values:
            self.instruction = instructions.ready_text(self.hazard, self.level)

    def payload(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        for name in OPTIONAL:
            if values[name] == "":
                values[name] = None
        if self.area_kind != AreaKind.NEIGHBOURHOODS:
            values["neighbourhoods"] = []  # ticked, then another kind of area chosen: not part of the warning
        return values

    def is_valid(self) -> bool:
        serializer = WarningWriteSerializer(data=self.payload(), context={"commune": self.commune})
        if serializer.is_valid():
            self.content = serializer.content()
        else:
            self.add_errors(serializer.errors)
        return not self.errors

    def add_errors(self, detail: Any) -> None:
        add_drf_errors(self.errors, detail, FIELDS)

    def add_refusal(self, message: str) -> None:
        self.errors.setdefault("non_field_errors", []).append(message)

    @property
    def chosen_neighbourhoods(self) -> list[Neighbourhood]:
        return list(self.content.area.neighbourhoods) if self.content is not None else []

    def hidden(self) -> list[tuple[str, str]]:
        """The fields as posted, for the preview's form: sent again as they were previewed."""
        pairs = [(name, str(getattr(self, name))) for name in FIELDS if name != "neighbourhoods"]
        return pairs + [("neighbourhoods", pk) for pk in self.payload()["neighbourhoods"]]



def limits() -> dict[str, int | None]:
    """The serializer's length limits, for the inputs' maxlength: one place says them."""
    fields = WarningWriteSerializer().fields
    return {name: getattr(fields[name], "max_length", None) for name in ("title", "description", "instruction")}
