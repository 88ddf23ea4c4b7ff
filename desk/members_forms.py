"""The forms of the members, quartiers, rules and exports pages.

A form here asks (labels, widgets, hints); the API's own serializer says what is valid (`ApiRulesForm`), and the
services refuse what the rules refuse (`service_refusal`): the desk holds no second copy of either.
"""

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as api_exceptions
from rest_framework.serializers import BaseSerializer

from alerts.serializers import PolicySerializer
from communes.membership_serializers import NeighbourhoodCreateSerializer, RejectSerializer, RoleSerializer
from communes.models import Neighbourhood, Role
from stats.serializers import ExportQuery
from vigilants.categories import Category


def _day(label: Any, **kwargs: Any) -> forms.DateField:
    # The browser's date picker sends ISO days, which the API's queries read.
    return forms.DateField(label=label, required=False, widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
                           **kwargs)  # fmt: skip


def _messages(detail: Any) -> Iterator[str]:
    """Every message of a DRF error detail, however nested (a list field's errors are keyed by position)."""
    if isinstance(detail, Mapping):
        for value in detail.values():
            yield from _messages(value)
    elif isinstance(detail, list | tuple):
        for value in detail:
            yield from _messages(value)
    else:
        yield str(detail)


def add_api_errors(form: forms.Form, detail: Any) -> None:
    """A DRF error detail (a serializer's or a service's) as the form's errors; `form.field_names` maps the
    API's field names to the form's where they differ."""
    if not isinstance(detail, Mapping):
        form.add_error(None, list(_messages(detail)))
        return
    names = getattr(form, "field_names", {})
    for name, messages in detail.items():
        field = names.get(name, name)
        form.add_error(field if field in form.fields else None, list(_messages(messages)))


def _values(data: Any, name: str) -> list[str]:
    """Every value of a field sent several times (ticked boxes), from a request's QueryDict or a plain dict."""
    if hasattr(data, "getlist"):
        return list(data.getlist(name))
    value = data.get(name, [])
    return list(value) if isinstance(value, list | tuple) else [value]


class ApiRulesForm(forms.Form):
    """The fields say how to ask; `serializer_class` (the API's) alone decides what is valid.

    `field_names` maps a serializer field to the form's where their names differ (`from` is a Python keyword).
    """

    serializer_class: ClassVar[type[BaseSerializer[Any]]]
    field_names: ClassVar[dict[str, str]] = {}

    def serializer_data(self) -> Any:
        return self.data

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        self.cleaned_data: dict[str, Any] = {}
        if not self.is_bound:
            return
        serializer = self.serializer_class(data=self.serializer_data())
        if serializer.is_valid():
            self.cleaned_data = dict(serializer.validated_data)
            return
        add_api_errors(self, serializer.errors)


class ActionForm(forms.Form):
    """An action without fields (accept, remove): its form only carries what the service refused."""

    def __init__(self) -> None:
        super().__init__(data={})
        self.full_clean()


def service_refusal(form: forms.Form, error: api_exceptions.APIException) -> None:
    """What a service refused, shown on the form: a refusal of the rules is the page's 403, anything else (bad
    input, a conflict such as the last mayor) the form's error. Services are atomic: nothing was changed."""
    if isinstance(error, api_exceptions.PermissionDenied | api_exceptions.NotAuthenticated):
        raise PermissionDenied(str(error.detail))
    add_api_errors(form, error.detail)


class RejectForm(ApiRulesForm):
    serializer_class = RejectSerializer
    reason = forms.CharField(
        label=_("Motif du refus"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Le demandeur le lira dans l’application."),
    )  # fmt: skip


class RoleForm(ApiRulesForm):
    serializer_class = RoleSerializer
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)


class NeighbourhoodForm(ApiRulesForm):
    serializer_class = NeighbourhoodCreateSerializer
    name = forms.CharField(label=_("Nom du quartier"), max_length=100)
    latitude = forms.FloatField(label=_("Latitude du centre"), required=False, help_text=_("Par exemple 43,6968."))
    longitude = forms.FloatField(label=_("Longitude du centre"), required=False, help_text=_("Par exemple 7,1221."))
    radius_m = forms.IntegerField(label=_("Rayon (mètres)"), required=False, help_text=_("De 10 à 50 000 mètres."))

    def serializer_data(self) -> dict[str, Any]:
        data = {name: str(self.data.get(name, "")).strip() for name in self.fields}
        for name in ("latitude", "longitude"):
            data[name] = data[name].replace(",", ".")  # a French number is written with a comma; the API reads a point
        # A blank optional field is no value, as the app sends none.
        return {name: value for name, value in data.items() if value or name == "name"}


class PolicyForm(ApiRulesForm):
    serializer_class = PolicySerializer
    auto_approve_categories = forms.MultipleChoiceField(
        label=_("Catégories publiées sans attendre"), choices=Category.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Un signalement de ces catégories envoyé par un référent ou un maire est publié aussitôt, sans "
                    "modération. Les signalements des habitants attendent toujours."),
    )  # fmt: skip
    escalation_minutes = forms.IntegerField(
        label=_("Délai avant de relancer le maire (minutes)"),
        help_text=_("Un signalement en attente depuis ce délai est rappelé aux maires. De 5 minutes à 7 jours."),
    )

    def serializer_data(self) -> dict[str, Any]:
        # Unticked boxes send nothing: an empty list is a choice here, not a missing field.
        return {
            "auto_approve_categories": _values(self.data, "auto_approve_categories"),
            "escalation_minutes": self.data.get("escalation_minutes", ""),
        }


EXPORT_FORMATS = [("csv", _("CSV (tableur, séparateur point-virgule)")), ("xlsx", _("Classeur Excel (XLSX)"))]


class StatsExportForm(ApiRulesForm):
    """The statistics export's query (stats' ExportQuery), for this commune only."""

    serializer_class = ExportQuery
    field_names: ClassVar[dict[str, str]] = {"from": "du", "to": "au"}
    du = _day(_("Du"), help_text=_("Par défaut : les 12 derniers mois."))
    au = _day(_("Au"))
    categories = forms.MultipleChoiceField(
        label=_("Catégories"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Aucune cochée : toutes les catégories."),
    )  # fmt: skip
    format = forms.ChoiceField(label=_("Format"), choices=EXPORT_FORMATS, initial="csv", widget=forms.RadioSelect)

    def serializer_data(self) -> dict[str, Any]:
        data = {"from": self.data.get("du", ""), "to": self.data.get("au", ""), "format": self.data.get("format", "")}
        categories = _values(self.data, "categories")
        if categories:
            data["categories"] = ",".join(categories)
        # Blank dates are the API's defaults (the last 12 months), as a query without them.
        return {name: value for name, value in data.items() if value != ""}

    def full_clean(self) -> None:
        super().full_clean()
        # The desk offers spreadsheets only (the API's JSON is for programs).
        if self.is_bound and self.cleaned_data.get("format") not in (None, *dict(EXPORT_FORMATS)):
            self.add_error("format", _("Choisissez CSV ou XLSX."))


# --- Filters of the lists (GET): plain Django forms, they narrow a list and decide nothing. ---------------------


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom"), max_length=80, required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=[("", _("Tous les rôles")), *Role.choices], required=False)
    neighbourhood = forms.ModelChoiceField(
        label=_("Quartier"), queryset=Neighbourhood.objects.none(), required=False, empty_label=_("Tous les quartiers")
    )

    def __init__(self, *args: Any, neighbourhoods: QuerySet[Neighbourhood], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["neighbourhood"].queryset = neighbourhoods  # type: ignore[attr-defined]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    du = _day(_("Du"))
    au = _day(_("Au"))

    def __init__(self, *args: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Toutes les actions")), *actions]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("du"), data.get("au")
        if start and end and start > end:
            self.add_error("au", _("La date de fin est avant la date de début."))
        return data
