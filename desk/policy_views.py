"""The commune's rules (CommunePolicy): what moderators publish without waiting, when the mayor is reminded.

The mayor's page (the API lets referents read the rules, only mayors change them; the desk keeps the page to
mayors): the policy serializer validates, alerts.services.policy_update writes and records it.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from alerts.models import CommunePolicy
from alerts.services import policy_update
from communes.models import Commune

from .access import desk_page
from .members_forms import PolicyForm, service_refusal


@require_http_methods(["GET", "HEAD", "POST"])
@desk_page(mayor_only=True)
def policy(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    if request.method != "POST":
        current = CommunePolicy.objects.filter(commune=commune).first() or CommunePolicy(commune=commune)
        initial = {"auto_approve_categories": current.auto_approve_categories,
                   "escalation_minutes": current.escalation_minutes}  # fmt: skip
        return _page(request, commune, PolicyForm(initial=initial))
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _page(request, commune, form, status=400)
    try:
        policy_update(commune=commune, actor=request.user, **form.cleaned_data)
    except APIException as error:
        service_refusal(form, error)
        return _page(request, commune, form, status=400)
    messages.success(request, _("Les règles de la commune sont enregistrées."))
    return redirect("desk:policy", commune.insee)


def _page(request: SignedInHttpRequest, commune: Commune, form: PolicyForm, status: int = 200) -> HttpResponse:
    return render(request, "desk/policy.html", {"commune": commune, "form": form}, status=status)
