"""The gendarmerie's filters: a GET form whose every wrong value is a French error, never a server error."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts.models import Alert
from communes.models import Commune
from stats.periods import EARLIEST
from vigilants.categories import Category

# Far enough for any real filter, near enough that the day after "au" is still a date Paris time can place.
LATEST = date(2100, 12, 31)
DATE_ERRORS = {"invalid": _("Date invalide : choisissez-la dans le calendrier ou écrivez-la JJ/MM/AAAA.")}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")  # what <input type="date"> reads and sends, whatever the language


class AlertFilterForm(forms.Form):
    commune = forms.ModelChoiceField(
        queryset=Commune.objects.none(), to_field_name="insee", required=False, label=_("Commune"),
        empty_label=_("Toutes les communes du secteur"),
        error_messages={"invalid_choice": _("Commune inconnue ou hors de votre secteur.")},
    )  # fmt: skip
    categorie = forms.ChoiceField(
        choices=[("", _("Toutes les catégories")), *Category.choices], required=False, label=_("Catégorie"),
        error_messages={"invalid_choice": _("Catégorie inconnue.")},
    )  # fmt: skip
    du = forms.DateField(required=False, label=_("Faits survenus du"), widget=DateInput(), error_messages=DATE_ERRORS)
    au = forms.DateField(required=False, label=_("au (inclus)"), widget=DateInput(), error_messages=DATE_ERRORS)

    def __init__(self, data: Any, *, communes: QuerySet[Commune]) -> None:
        super().__init__(data)
        self.fields["commune"].queryset = communes  # type: ignore[attr-defined]

    def clean_du(self) -> date | None:
        return _within_bounds(self.cleaned_data.get("du"))

    def clean_au(self) -> date | None:
        return _within_bounds(self.cleaned_data.get("au"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and start > end:
            self.add_error("au", _("La fin de la période précède son début."))
        return cleaned

    def filter(self, alerts: QuerySet[Alert]) -> QuerySet[Alert]:
        """The alerts the valid form asks for; the period is of when the facts occurred, in Paris time."""
        data = self.cleaned_data
        if data.get("commune"):
            alerts = alerts.filter(commune=data["commune"])
        if data.get("categorie"):
            alerts = alerts.filter(category=data["categorie"])
        if data.get("du"):
            alerts = alerts.filter(occurred_at__gte=_start_of(data["du"]))
        if data.get("au"):
            alerts = alerts.filter(occurred_at__lt=_start_of(data["au"] + timedelta(days=1)))
        return alerts


def _within_bounds(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(
            _("Date hors des années couvertes (%(first)d à %(last)d).") % {"first": EARLIEST.year, "last": LATEST.year}
        )
    return value


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
