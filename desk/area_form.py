"""The desk's form of a warning over several communes: the warning's fields, and the communes ticked among those the
person may warn, or a centre and a radius. Checked by the API's own serializer (AreaWarningWriteSerializer), so that
the desk and POST /warnings refuse the same things with the same words."""

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from communes.models import Commune
from risks import instructions
from risks.models import Hazard, Level
from risks.services import DEFAULT_VALIDITY, Content
from risks.territory_serializers import AreaWarningWriteSerializer

from .form_errors import add_drf_errors
from .risks_form import CheckedContent, local_input

TEXT_FIELDS = ("hazard", "level", "title", "description", "instruction", "expires_at", "mode", "center_latitude",
               "center_longitude", "radius_km")  # fmt: skip
MODES = ("list", "radius")


@dataclass
class AreaForm(CheckedContent):
    """The fields as posted (shown again as typed) and, once valid, the content and the communes' codes or radius."""

    hazard: str = Hazard.FLOOD.value
    level: str = Level.ORANGE.value
    title: str = ""
    description: str = ""
    instruction: str = ""
    expires_at: str = ""
    mode: str = "list"
    communes: list[str] = field(default_factory=list)  # INSEE codes as posted
    center_latitude: str = ""
    center_longitude: str = ""
    radius_km: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    content: Content | None = None
    chosen: list[Commune] = field(default_factory=list)  # the list's, once valid (a radius's: the view's)

    @classmethod
    def blank(cls) -> "AreaForm":
        form = cls(expires_at=local_input(timezone.now() + DEFAULT_VALIDITY))
        form.instruction = instructions.ready_text(form.hazard, form.level)
        return form

    @classmethod
    def posted(cls, data: QueryDict) -> "AreaForm":
        form = cls(communes=[str(code) for code in data.getlist("communes")])
        for name in TEXT_FIELDS:
            setattr(form, name, str(data.get(name, "")).strip())
        form.mode = form.mode if form.mode in MODES else "list"
        return form

    def payload(self) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(self, name) for name in TEXT_FIELDS[:6]}
        if self.mode == "radius":
            values["center"] = {"latitude": self.center_latitude, "longitude": self.center_longitude}
            values["radius_km"] = self.radius_km
        else:
            values["communes"] = self.communes
        return values

    def is_valid(self) -> bool:
        serializer = AreaWarningWriteSerializer(data=self.payload(), context={"commune": None})
        if serializer.is_valid():
            self.content = serializer.content()
            self.chosen = list(serializer.validated_data.get("communes", []))
        else:
            self.add_errors(serializer.errors)
        return not self.errors

    def add_errors(self, detail: Any) -> None:
        add_drf_errors(self.errors, detail)

    @property
    def center(self) -> tuple[float, float]:
        return float(self.center_latitude), float(self.center_longitude)

    def hidden(self) -> list[tuple[str, str]]:
        """The fields as posted, for the preview's form: sent again as they were previewed."""
        return [(name, str(getattr(self, name))) for name in TEXT_FIELDS] + [("communes", c) for c in self.communes]
