"""/suivre/<insee>/: a commune's public warnings by SMS, for people without the app.

The number is confirmed by the sign-in's own SMS code (`accounts.otp`: its limits per number and per hour,
its per-address scopes `otp_ip` and `otp_verify_ip`, as the dashboards' sign-in uses them), then the person
chooses quartiers and follows by SMS, or stops. The confirmation is kept in the session for
CONFIRMED_FOR_SECONDS and opens nothing else: not the dashboards, not the API. Replying STOP to any SMS
opts the number out of every SMS as well (notifications' inbound webhook).
"""

import time
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from rest_framework import exceptions, serializers

from accounts import web_signin
from accounts.models import User
from accounts.otp import otp_request
from accounts.web_signin import CodeForm, checked_code, first_message, throttled

from .follow import active_follow, follow_commune, unfollow_commune
from .follow_serializers import FollowRequestSerializer
from .models import Commune, Follow

SESSION_PHONE = "follow_phone"  # the number a code was just sent to
SESSION_PERSON = "follow_person"  # {"user": pk, "at": epoch seconds}: a number confirmed by its code
CONFIRMED_FOR_SECONDS = 30 * 60


class PhoneForm(web_signin.PhoneForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = gettext_lazy(
            "Format attendu : 06 12 34 56 78. Un code de confirmation vous sera envoyé par SMS."
        )


def _enrolled(insee: str) -> Commune:
    """Only an enrolled commune sends warnings: any other code is the site's 404 page."""
    commune = Commune.objects.by_insee(insee)
    if commune is None or not commune.enrolled:
        raise Http404
    return commune


def _confirmed(request: HttpRequest) -> User | None:
    """The person whose number was confirmed in this session lately (or who signed in to the dashboards)."""
    if request.user.is_authenticated and isinstance(request.user, User):
        return request.user
    person = request.session.get(SESSION_PERSON) or {}
    if not isinstance(person.get("user"), int) or time.time() - person.get("at", 0) > CONFIRMED_FOR_SECONDS:
        request.session.pop(SESSION_PERSON, None)
        return None
    return User.objects.filter(pk=person["user"], is_active=True).first()


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, f"follow/{template}", context, status=status)


@never_cache
@sensitive_post_parameters("phone")
def follow_phone(request: HttpRequest, insee: str) -> HttpResponse:
    """Step 1: the number; a code goes out by SMS."""
    commune = _enrolled(insee)
    if _confirmed(request) is not None:
        return redirect("follow:choose", insee=commune.insee)
    form = PhoneForm(request.POST or None)
    context = {"commune": commune, "form": form}
    if request.method != "POST" or not form.is_valid():
        return _render(request, "phone.html", context, status=400 if form.errors else 200)
    if throttled(request, "otp_ip"):
        form.add_error(None, _("Trop de demandes depuis cette adresse : réessayez plus tard."))
        return _render(request, "phone.html", context, status=429)
    try:
        otp_request(phone=form.cleaned_data["phone"])
    except exceptions.Throttled as exc:
        wait = exc.wait  # type: ignore[attr-defined]  # DRF sets it; the stubs leave it out
        form.add_error(None, _("Trop de codes demandés pour ce numéro : réessayez dans %(minutes)d minutes.")
                       % {"minutes": max(1, round((wait or 60) / 60))})  # fmt: skip
        return _render(request, "phone.html", context, status=429)
    except (serializers.ValidationError, exceptions.APIException) as exc:
        form.add_error(None, first_message(exc.detail))
        # The API's own status: 400 for the number, 503 when sign-in SMS are spent or the provider is away.
        return _render(request, "phone.html", context, status=getattr(exc, "status_code", 400))
    request.session[SESSION_PHONE] = form.cleaned_data["phone"]
    return redirect("follow:code", insee=commune.insee)


@never_cache
@sensitive_post_parameters("code")
def follow_code(request: HttpRequest, insee: str) -> HttpResponse:
    """Step 2: the code confirms the number (and creates the person's account on first use, as sign-in does)."""
    commune = _enrolled(insee)
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("follow:phone", insee=commune.insee)
    form = CodeForm(request.POST or None)
    context = {"commune": commune, "form": form, "phone_end": phone[-2:]}
    if request.method != "POST" or not form.is_valid():
        return _render(request, "code.html", context, status=400 if form.errors else 200)
    user, status = checked_code(request, form, phone)
    if user is None:
        return _render(request, "code.html", context, status=status)
    request.session.cycle_key()  # a new session key once the number is confirmed: no fixation
    request.session.pop(SESSION_PHONE, None)
    request.session[SESSION_PERSON] = {"user": user.pk, "at": int(time.time())}
    return redirect("follow:choose", insee=commune.insee)


@never_cache
def follow_choose(request: HttpRequest, insee: str) -> HttpResponse:
    """Step 3: the quartiers; following by SMS, or changing them."""
    commune = _enrolled(insee)
    user = _confirmed(request)
    if user is None:
        return redirect("follow:phone", insee=commune.insee)
    follow = active_follow(user, commune)
    if request.method != "POST":
        return _choose(request, commune, follow, _chosen_ids(follow))
    posted = request.POST.getlist("neighbourhoods")
    serializer = FollowRequestSerializer(data={"neighbourhoods": posted, "channels": ["sms"]}, context={"commune": commune})
    if not serializer.is_valid():
        return _choose(request, commune, follow, posted, errors=serializer.errors, status=400)
    follow_commune(user=user, commune=commune, **serializer.validated_data)
    messages.success(request, _("C'est fait : les avis de %(commune)s vous parviendront par SMS.") % {"commune": commune.name})
    return redirect("follow:choose", insee=commune.insee)


def _chosen_ids(follow: Follow | None) -> list[str]:
    return [str(pk) for pk in follow.neighbourhoods.values_list("pk", flat=True)] if follow else []


def _choose(request: HttpRequest, commune: Commune, follow: Follow | None, chosen: list[str],
            errors: Any = None, status: int = 200) -> HttpResponse:  # fmt: skip
    context = {
        "commune": commune, "follow": follow, "chosen": chosen, "neighbourhoods": commune.neighbourhoods.all(),
        "followed_quartiers": list(follow.neighbourhoods.all()) if follow else [],
        "errors": [first_message(errors)] if errors else [],
    }  # fmt: skip
    return _render(request, "choose.html", context, status=status)


@require_POST
def follow_stop(request: HttpRequest, insee: str) -> HttpResponse:
    """Stop following: nothing more goes to the person as a follower of this commune."""
    commune = _enrolled(insee)
    user = _confirmed(request)
    if user is None:
        return redirect("follow:phone", insee=commune.insee)
    unfollow_commune(user=user, commune=commune)
    messages.success(request, _("C'est fait : vous ne recevrez plus les avis de %(commune)s.") % {"commune": commune.name})
    return redirect("follow:choose", insee=commune.insee)


@require_POST
def follow_forget(request: HttpRequest, insee: str) -> HttpResponse:
    """Done, on a shared computer: this session forgets the confirmed number."""
    commune = _enrolled(insee)
    request.session.pop(SESSION_PERSON, None)
    request.session.pop(SESSION_PHONE, None)
    return redirect("follow:phone", insee=commune.insee)
