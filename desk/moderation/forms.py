"""The report page's forms, one per action.

Their text fields take their limits from the API's serializers, and what they accept is then validated by those
serializers: a page and the app refuse the same input, with the same French messages. What the services refuse
(a report already decided, words about a person rather than what they did) becomes the form's errors too.
"""

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.settings import api_settings

from alerts.models import Alert, FollowUpKind
from alerts.serializers import AlertUpdateSerializer, FollowUpSerializer, ReasonSerializer
from vigilants.categories import Category
from vigilants.errors import Conflict

# What the alerts services raise when they refuse: the request's fault, shown on the page, never a 500.
SERVICE_ERRORS = (ApiValidationError, DjangoValidationError, Conflict)
NON_FIELD_KEYS = {api_settings.NON_FIELD_ERRORS_KEY, "detail", "__all__"}
PUBLISH = "publish"  # the name of the edit form's second button, « Enregistrer et publier »


def text_field(serializer_class: type[serializers.Serializer[Any]], name: str, **options: Any) -> forms.CharField:
    """A text area whose lengths are the serializer field's, so that the browser tells the limit before sending."""
    source = serializer_class().fields[name]
    if not isinstance(source, serializers.CharField):
        raise TypeError(f"{serializer_class.__name__}.{name} is not a text field")
    widget = forms.Textarea(attrs={"rows": 4})
    return forms.CharField(max_length=source.max_length, min_length=source.min_length, widget=widget, **options)


def _texts(detail: Any) -> list[str]:
    """Every message of a DRF error detail (a string, a list or a dict of them, nested), in order."""
    if isinstance(detail, dict):
        return [text for value in detail.values() for text in _texts(value)]
    if isinstance(detail, list | tuple):
        return [text for value in detail for text in _texts(value)]
    return [str(detail)]


def error_messages(error: Exception) -> dict[str | None, list[str]]:
    """A refusal's messages by field name (None: the form as a whole), whichever framework raised it."""
    if isinstance(error, DjangoValidationError):
        if hasattr(error, "error_dict"):
            return {field: list(texts) for field, texts in error.message_dict.items()}
        return {None: list(error.messages)}
    return detail_messages(error.detail if isinstance(error, ApiValidationError | Conflict) else str(error))


def detail_messages(detail: Any) -> dict[str | None, list[str]]:
    """A DRF error detail's messages (a serializer's errors, or an exception's) by field name."""
    if not isinstance(detail, dict):
        return {None: _texts(detail)}
    found: dict[str | None, list[str]] = {}
    for key, value in detail.items():
        found.setdefault(None if key in NON_FIELD_KEYS else str(key), []).extend(_texts(value))
    return found


class ActionForm(forms.Form):
    """One action of the report page: posted to `<report>/<action>/`; `serializer_class` is the API's validation."""

    action: ClassVar[str]
    serializer_class: ClassVar[type[serializers.Serializer[Any]] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Several forms share the page: each its own ids ("reject-reason"), field names kept plain.
        kwargs.setdefault("auto_id", f"{self.action}-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def serializer_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return cleaned

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.serializer_class is None or self.errors or cleaned is None:
            return cleaned
        serializer = self.serializer_class(data=self.serializer_data(cleaned))
        if not serializer.is_valid():
            self.add_messages(detail_messages(serializer.errors))
            return cleaned
        return dict(serializer.validated_data)

    def add_service_error(self, error: Exception) -> None:
        """A service's refusal as this form's errors."""
        self.add_messages(error_messages(error))

    def add_messages(self, messages: dict[str | None, list[str]]) -> None:
        """Each message on the field it names when the form has that field, else above the form."""
        for field, texts in messages.items():
            self.add_error(field if field in self.fields else None, texts)


class ApproveForm(ActionForm):
    action = "approve"


class RejectForm(ActionForm):
    action = "reject"
    serializer_class = ReasonSerializer

    reason = text_field(
        ReasonSerializer, "reason", label=_("Motif du refus"),
        help_text=_("La personne qui a signalé le lit dans l’application. Restez factuel et courtois."),
    )  # fmt: skip


class EditForm(ActionForm):
    """The fields the API's PATCH allows before moderation."""

    action = "edit"
    serializer_class = AlertUpdateSerializer

    description = text_field(
        AlertUpdateSerializer, "description", label=_("Texte du signalement"),
        help_text=_("Des faits et des comportements (tenue, véhicule, direction prise), jamais l’apparence, l’origine, "
                    "la religion, la nationalité, la santé ou l’orientation de quiconque."),
    )  # fmt: skip
    category = forms.ChoiceField(label=_("Catégorie"), choices=Category.choices)
    urgent = forms.BooleanField(label=_("Urgent : envoi immédiat, même pendant les heures calmes"), required=False)

    def __init__(self, *args: Any, alert: Alert, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"description": alert.description, "category": alert.category, "urgent": alert.urgent})
        super().__init__(*args, **kwargs)
        self.alert = alert

    @property
    def publish(self) -> bool:
        """« Enregistrer et publier » was pressed rather than « Enregistrer »."""
        return PUBLISH in self.data

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if cleaned is not None and not self.errors and not self.publish and not self._changes(cleaned):
            raise forms.ValidationError(_("Rien n’a changé : modifiez le texte, la catégorie ou l’urgence."))
        return cleaned

    def changes(self) -> dict[str, Any]:
        """What differs from the report: only that is written (and recorded in the audit log)."""
        return self._changes(self.cleaned_data)

    def _changes(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in cleaned.items() if getattr(self.alert, name) != value}


class FollowUpForm(ActionForm):
    serializer_class = FollowUpSerializer
    kind: ClassVar[FollowUpKind]

    def serializer_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {**cleaned, "kind": self.kind}


class CloseForm(FollowUpForm):
    """« Fin d'alerte »: the alert is over; the members who received it are told."""

    action = "close"
    kind = FollowUpKind.END

    body = text_field(
        FollowUpSerializer, "body", label=_("Message de fin d’alerte"),
        help_text=_("Envoyé aux membres qui ont reçu l’alerte, par exemple : « Le véhicule a quitté la commune. »"),
    )  # fmt: skip


class ErratumForm(FollowUpForm):
    """A correction of a published alert: the original stays as it was, the members receive the correction."""

    action = "erratum"
    kind = FollowUpKind.ERRATUM

    body = text_field(
        FollowUpSerializer, "body", label=_("Rectificatif"),
        help_text=_("Envoyé aux membres qui ont reçu l’alerte ; le texte d’origine reste tel qu’il a été publié."),
    )  # fmt: skip
