"""Session sign-in for the dashboards: phone number then SMS code, as in the app; staff may use a password.

The codes, their throttles and the account come from `accounts.otp`, exactly as for the app; the per-IP
limits are the API's own scopes (`otp_ip`, `otp_verify_ip`), so a browser and a phone share one budget.
Who may enter is decided after the code is checked, so the form never tells whether a number is a mayor's.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from rest_framework import exceptions, serializers
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import User
from accounts.otp import otp_request, otp_verify
from accounts.phone import normalize_mobile
from communes.access import is_gendarme, moderated_commune_ids

SESSION_PHONE = "dashboard_login_phone"
SESSION_NEXT = "dashboard_login_next"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def can_use_dashboard(user: User) -> bool:
    """Mayors, referents, gendarmes and staff: the people the statistics are for."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or is_gendarme(user) or moderated_commune_ids(user).exists()


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
            raise forms.ValidationError(_first_message(exc.detail)) from None


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code reçu par SMS"),
        help_text=gettext_lazy("6 chiffres, valable 10 minutes."),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}),
    )


class StaffPasswordForm(AuthenticationForm):
    """Django's form, with the phone number as the user name, in any French format."""

    def clean_username(self) -> str:
        value = self.cleaned_data.get("username", "")
        try:
            return normalize_mobile(value)
        except serializers.ValidationError:
            return value  # let authentication fail with Django's own message

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(_("La connexion par mot de passe est réservée à l'équipe Vigilants."))


def _first_message(detail: Any) -> str:
    """DRF's error detail (a string, a list or a dict of lists) as one French sentence."""
    while isinstance(detail, dict | list):
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return str(detail)


class _Scope:
    """What ScopedRateThrottle reads from a view: its scope."""

    def __init__(self, scope: str) -> None:
        self.throttle_scope = scope


def _throttled(request: HttpRequest, scope: str) -> bool:
    return not ScopedRateThrottle().allow_request(request, _Scope(scope))  # type: ignore[arg-type]


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    allowed = url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure())
    return candidate if candidate and allowed else reverse("dashboard:index")


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"dashboard/{template}", context, status=status)


@never_cache
@sensitive_post_parameters("phone")
def login_phone(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number; a code goes out by SMS."""
    if request.user.is_authenticated and can_use_dashboard(request.user):
        return redirect(_safe_next(request, request.GET.get("next")))
    form = PhoneForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"))
        return _render(request, "login_phone.html", {"form": form}, status=400 if form.errors else 200)
    if _throttled(request, "otp_ip"):
        form.add_error(None, _("Trop de demandes depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_phone.html", {"form": form}, status=429)
    try:
        otp_request(phone=form.cleaned_data["phone"])
    except exceptions.Throttled as exc:
        form.add_error(None, _("Trop de codes demandés pour ce numéro : réessayez dans %(minutes)d minutes.")
                       % {"minutes": max(1, round((exc.wait or 60) / 60))})  # fmt: skip
        return _render(request, "login_phone.html", {"form": form}, status=429)
    except (serializers.ValidationError, exceptions.APIException) as exc:
        form.add_error(None, _first_message(exc.detail))
        return _render(request, "login_phone.html", {"form": form}, status=400)
    request.session[SESSION_PHONE] = form.cleaned_data["phone"]
    return redirect("dashboard:login-code")


@never_cache
@sensitive_post_parameters("code")
def login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code; the session is opened only for the people the dashboards are for."""
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("dashboard:login")
    form = CodeForm(request.POST or None)
    context = {"form": form, "phone_end": phone[-2:]}
    if request.method != "POST" or not form.is_valid():
        return _render(request, "login_code.html", context, status=400 if form.errors else 200)
    if _throttled(request, "otp_verify_ip"):
        form.add_error(None, _("Trop d'essais depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_code.html", context, status=429)
    try:
        user = otp_verify(phone=phone, code=form.cleaned_data["code"])
    except (serializers.ValidationError, exceptions.APIException) as exc:
        form.add_error("code" if isinstance(exc, serializers.ValidationError) else None, _first_message(exc.detail))
        return _render(request, "login_code.html", context, status=400)
    return _open_session(request, user)


def _open_session(request: HttpRequest, user: User) -> HttpResponse:
    if not can_use_dashboard(user):
        request.session.pop(SESSION_PHONE, None)
        return _render(request, "login_refused.html", {}, status=403)
    target = request.session.get(SESSION_NEXT) or reverse("dashboard:index")
    login(request, user, backend=MODEL_BACKEND)  # a new session key: no fixation
    messages.success(request, _("Vous êtes connecté."))
    return HttpResponseRedirect(_safe_next(request, target))


@never_cache
@sensitive_post_parameters("password")
def login_password(request: HttpRequest) -> HttpResponse:
    """Staff only: phone number and password (Django's AuthenticationForm)."""
    form = StaffPasswordForm(request, data=request.POST or None)
    if request.method != "POST":
        return _render(request, "login_password.html", {"form": form})
    if _throttled(request, "otp_verify_ip"):
        form.add_error(None, _("Trop d'essais depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_password.html", {"form": form}, status=429)
    if not form.is_valid():
        return _render(request, "login_password.html", {"form": form}, status=400)
    return _open_session(request, form.get_user())


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("Vous êtes déconnecté."))
    return redirect("dashboard:login")
