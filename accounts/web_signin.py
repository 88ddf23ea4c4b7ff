"""The web pages' side of the SMS sign-in (the dashboards' login, the public follow page): the forms and the
per-address limits, shared so that a browser and the phone app spend one budget (`accounts.otp` does the rest)."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.throttling import ScopedRateThrottle

from .models import User
from .otp import otp_verify
from .phone import normalize_mobile


def first_message(detail: Any) -> str:
    """DRF's error detail (a string, a list or a dict of lists) as one French sentence."""
    while isinstance(detail, dict | list):
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Numéro de téléphone mobile"),
        help_text=gettext_lazy("Format attendu : 06 12 34 56 78. Un code de connexion vous sera envoyé par SMS."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        try:
            return normalize_mobile(self.cleaned_data["phone"])
        except serializers.ValidationError as exc:
            raise forms.ValidationError(first_message(exc.detail)) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code reçu par SMS"),
        help_text=gettext_lazy("6 chiffres, valable 10 minutes."),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}),
    )


class _Scope:
    """What ScopedRateThrottle reads from a view: its scope (the API's own, so that page and app share it)."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def throttled(request: HttpRequest, scope: str) -> bool:
    return not ScopedRateThrottle().allow_request(request, _Scope(scope))  # type: ignore[arg-type]


def checked_code(request: HttpRequest, form: CodeForm, phone: str) -> tuple[User | None, int]:
    """The person whose valid code `form` holds for `phone`, or None and the status to answer with (the form then
    carries the French reason): the per-address limit first, then the code's own checks (accounts.otp)."""
    if throttled(request, "otp_verify_ip"):
        form.add_error(None, _("Trop d'essais depuis cette adresse : réessayez plus tard."))
        return None, 429
    try:
        return otp_verify(phone=phone, code=form.cleaned_data["code"]), 200
    except (serializers.ValidationError, exceptions.APIException) as exc:
        form.add_error("code" if isinstance(exc, serializers.ValidationError) else None, first_message(exc.detail))
        return None, 400
