"""The mayor's page for registering a resident who has no phone of their own to manage, reached on their landline
(under Membres). The API's serializer says what is valid and its service registers them (notifications/
landlines.py): the consent is required, recorded and written to the commune's audit log."""

from typing import Any

from django import forms
from django.contrib import messages
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import APIException

from accounts.authentication import SignedInHttpRequest
from communes.models import Commune
from notifications import landlines
from notifications.landline_views import LandlineResidentSerializer

from .access import desk_page
from .members_forms import add_api_errors, service_refusal


class LandlineResidentForm(forms.Form):
    display_name = forms.CharField(label=gettext_lazy("Nom de la personne"), max_length=80)
    landline = forms.CharField(label=gettext_lazy("Ligne fixe"), max_length=32,
                               help_text=gettext_lazy("Un numéro commençant par 01 à 05 ou 09."))  # fmt: skip
    address = forms.CharField(label=gettext_lazy("Adresse"), max_length=200)
    neighbourhood = forms.ChoiceField(label=gettext_lazy("Quartier"), required=False)
    consent = forms.BooleanField(label=gettext_lazy("La personne a donné son accord"), required=False)
    consent_note = forms.CharField(
        label=gettext_lazy("Comment l'accord a été donné"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Par exemple : accord écrit signé en mairie le 5 décembre."),
    )  # fmt: skip

    def __init__(self, *args: Any, commune: Commune, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commune = commune
        choices = [("", _("Aucun")), *((str(n.pk), n.name) for n in commune.neighbourhoods.order_by("name"))]
        self.fields["neighbourhood"].choices = choices  # type: ignore[attr-defined]

    def full_clean(self) -> None:
        # The API's serializer alone decides what is valid (as ApiRulesForm), with the commune for the quartier.
        self._errors = ErrorDict()
        self.cleaned_data: dict[str, Any] = {}
        if not self.is_bound:
            return
        data = {name: str(self.data.get(name, "")).strip() for name in self.fields if name != "consent"}
        if not data["neighbourhood"]:
            data.pop("neighbourhood")
        data["consent"] = "true" if self.data.get("consent") else "false"
        serializer = LandlineResidentSerializer(data=data, context={"commune": self.commune})
        if serializer.is_valid():
            self.cleaned_data = dict(serializer.validated_data)
            return
        add_api_errors(self, serializer.errors)


@require_http_methods(["GET", "HEAD", "POST"])
@desk_page(mayor_only=True)
def landline_resident(request: SignedInHttpRequest, commune: Commune) -> HttpResponse:
    if request.method != "POST":
        return _page(request, commune, LandlineResidentForm(commune=commune))
    form = LandlineResidentForm(request.POST, commune=commune)
    if not form.is_valid():
        return _page(request, commune, form, status=400)
    data = dict(form.cleaned_data)
    data.pop("consent")
    try:
        landline = landlines.register_resident(commune=commune, actor=request.user, **data)
    except APIException as error:  # a number that is already an account's
        service_refusal(form, error)
        return _page(request, commune, form, status=400)
    messages.success(request, _("%(name)s est inscrit(e) : les alertes lui seront lues par téléphone.")
                     % {"name": landline.user.display_name})  # fmt: skip
    return redirect("desk:members", commune.insee)


def _page(request: SignedInHttpRequest, commune: Commune, form: LandlineResidentForm, status: int = 200) -> HttpResponse:
    return render(request, "desk/landline_resident.html", {"commune": commune, "form": form}, status=status)
