"""Session sign-in for the dashboards: phone number then SMS code, as in the app; staff may use a password.

The codes, their throttles and the account come from `accounts.otp`, exactly as for the app; the per-IP
limits are the API's own scopes (`otp_ip`, `otp_verify_ip`), so a browser and a phone share one budget.
Who may enter is decided after the code is checked, so the form never tells whether a number is a mayor's.

Staff passwords (this form and the admin's, /admin/login/, which is the same view) open nothing by
themselves: a code from the staff member's authenticator app (TOTP) must follow, and wrong passwords and
wrong codes lock the account and the address for a while (`accounts.staff_auth`, django-axes).
"""

import time
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
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions, serializers

from accounts import staff_auth
from accounts.models import User
from accounts.otp import otp_request
from accounts.phone import normalize_mobile
from accounts.web_signin import CodeForm, PhoneForm, checked_code, first_message, throttled
from communes.access import is_gendarme, is_operator, moderated_commune_ids

SESSION_PHONE = "dashboard_login_phone"
SESSION_NEXT = "dashboard_login_next"
# Staff who gave the right password, awaiting their TOTP code: {"user": pk, "at": epoch seconds}.
SESSION_STAFF = "dashboard_login_staff"
STAFF_CODE_WINDOW_SECONDS = 300
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def can_use_dashboard(user: User) -> bool:
    """Mayors, referents, gendarmes, territories' operators and staff: the people the statistics are for."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or is_gendarme(user) or moderated_commune_ids(user).exists() or is_operator(user)


class TotpForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de votre application d’authentification"),
        help_text=gettext_lazy("6 chiffres, renouvelés toutes les 30 secondes."),
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


def _safe_next(request: HttpRequest, candidate: str | None, default: str | None = None) -> str:
    allowed = url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure())
    return candidate if candidate and allowed else (default or reverse("dashboard:index"))


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
    if throttled(request, "otp_ip"):
        form.add_error(None, _("Trop de demandes depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_phone.html", {"form": form}, status=429)
    try:
        otp_request(phone=form.cleaned_data["phone"])
    except exceptions.Throttled as exc:
        wait = exc.wait  # type: ignore[attr-defined]  # DRF sets it; the stubs leave it out
        form.add_error(None, _("Trop de codes demandés pour ce numéro : réessayez dans %(minutes)d minutes.")
                       % {"minutes": max(1, round((wait or 60) / 60))})  # fmt: skip
        return _render(request, "login_phone.html", {"form": form}, status=429)
    except (serializers.ValidationError, exceptions.APIException) as exc:
        form.add_error(None, first_message(exc.detail))
        # The API's own status: 400 for the number, 503 when sign-in SMS are spent or the provider is away.
        return _render(request, "login_phone.html", {"form": form}, status=getattr(exc, "status_code", 400))
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
    user, status = checked_code(request, form, phone)
    if user is None:
        return _render(request, "login_code.html", context, status=status)
    return _open_session(request, user)


def _open_session(request: HttpRequest, user: User, device: TOTPDevice | None = None) -> HttpResponse:
    if not can_use_dashboard(user):
        request.session.pop(SESSION_PHONE, None)
        return _render(request, "login_refused.html", {}, status=403)
    target = request.session.get(SESSION_NEXT) or reverse("dashboard:index")
    login(request, user, backend=MODEL_BACKEND)  # a new session key: no fixation
    if device is not None:
        otp_login(request, device)  # the session is verified: the admin opens
    messages.success(request, _("Vous êtes connecté."))
    return HttpResponseRedirect(_safe_next(request, target))


@never_cache
@sensitive_post_parameters("password")
def login_password(request: HttpRequest) -> HttpResponse:
    """Staff only: phone number and password (Django's AuthenticationForm), then a TOTP code."""
    return _staff_password(request, default_next=reverse("dashboard:index"))


@never_cache
@sensitive_post_parameters("password")
def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/: the same form, lockout and second factor, back to the admin afterwards."""
    return _staff_password(request, default_next=reverse("admin:index"))


def _staff_password(request: HttpRequest, default_next: str) -> HttpResponse:
    form = StaffPasswordForm(request, data=request.POST or None)
    if request.method != "POST":
        if getattr(request.user, "is_verified", lambda: False)() and request.user.is_staff:
            return redirect(_safe_next(request, request.GET.get("next"), default_next))
        request.session[SESSION_NEXT] = _safe_next(request, request.GET.get("next"), default_next)
        return _render(request, "login_password.html", {"form": form})
    if throttled(request, "otp_verify_ip"):
        form.add_error(None, _("Trop d'essais depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_password.html", {"form": form}, status=429)
    if not form.is_valid():
        if getattr(request, "axes_locked_out", False):
            return _locked(request, "login_password.html", form)
        return _render(request, "login_password.html", {"form": form}, status=400)
    user = form.get_user()
    device = staff_auth.confirmed_device(user)
    if device is None:
        form.add_error(None, _("Aucun second facteur n'est enregistré pour ce compte : demandez à l'exploitant "
                               "du service de vous inscrire (application d'authentification)."))  # fmt: skip
        return _render(request, "login_password.html", {"form": form}, status=403)
    request.session.cycle_key()  # a new key between the two steps as well
    request.session[SESSION_STAFF] = {"user": user.pk, "at": int(time.time())}
    return redirect("dashboard:login-totp")


def _locked(request: HttpRequest, template: str, form: forms.Form) -> HttpResponse:
    """429 with the form and the French lockout message alone (axes' middleware keeps this answer)."""
    request.session.pop(SESSION_STAFF, None)
    form.errors.clear()
    form.add_error(None, staff_auth.lockout_message())
    return _render(request, template, {"form": form}, status=429)


def _pending_staff(request: HttpRequest) -> User | None:
    """The staff member whose password was right, if that was less than a few minutes ago."""
    pending = request.session.get(SESSION_STAFF) or {}
    if time.time() - pending.get("at", 0) > STAFF_CODE_WINDOW_SECONDS:
        request.session.pop(SESSION_STAFF, None)
        return None
    user_pk = pending.get("user")
    if user_pk is None:
        return None
    return User.objects.filter(pk=user_pk, is_active=True, is_staff=True).first()


@never_cache
@sensitive_post_parameters("code")
def login_totp(request: HttpRequest) -> HttpResponse:
    """Staff, second step: the code from their authenticator app; then the session is open and verified."""
    user = _pending_staff(request)
    if user is None:
        return redirect("dashboard:login-password")
    form = TotpForm(request.POST or None)
    context = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return _render(request, "login_totp.html", context, status=400 if form.errors else 200)
    if throttled(request, "otp_verify_ip"):
        form.add_error(None, _("Trop d'essais depuis cette adresse : réessayez plus tard."))
        return _render(request, "login_totp.html", context, status=429)
    return _check_totp(request, user, form)


def _check_totp(request: HttpRequest, user: User, form: TotpForm) -> HttpResponse:
    """The code against the staff member's device, under the lockout and django-otp's own back-off."""
    username = str(user.phone)
    device = staff_auth.confirmed_device(user)
    if device is None:  # reset by the operator in between
        return redirect("dashboard:login-password")
    if staff_auth.is_locked(request, username):
        return _locked(request, "login_totp.html", form)
    wait = staff_auth.wait_seconds(device)
    if wait:
        form.add_error(None, _("Trop de codes erronés : patientez %(seconds)d secondes avant de réessayer.")
                       % {"seconds": wait})  # fmt: skip
        return _render(request, "login_totp.html", {"form": form}, status=429)
    if not staff_auth.check_code(user, device, form.cleaned_data["code"]):
        if staff_auth.record_failure(request, username):
            return _locked(request, "login_totp.html", form)
        form.add_error("code", _("Code incorrect."))
        return _render(request, "login_totp.html", {"form": form}, status=400)
    request.session.pop(SESSION_STAFF, None)
    staff_auth.reset_failures(username)
    return _open_session(request, user, device)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("Vous êtes déconnecté."))
    return redirect("dashboard:login")
