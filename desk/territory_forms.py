"""The territory page's forms: the API's serializers decide what is valid (ApiRulesForm)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communes.territory_serializers import EnrolSerializer, MayorSerializer, insee_field

from .members_forms import ApiRulesForm


def _phone() -> forms.CharField:
    return forms.CharField(label=_("Portable du maire"), widget=forms.TextInput({"autocomplete": "off", "inputmode": "tel"}))


class EnrolForm(ApiRulesForm):
    serializer_class = EnrolSerializer
    insee = forms.CharField(label=_("Code INSEE de la commune"), max_length=5)
    mayor_phone = _phone()
    mayor_name = forms.CharField(label=_("Nom du maire"), max_length=80)


class FirstMayorInput(MayorSerializer):
    """The API names the commune in its URL; the page, in a field."""

    insee = insee_field()


class FirstMayorForm(ApiRulesForm):
    serializer_class = FirstMayorInput
    insee = forms.CharField(label=_("Code INSEE de la commune"), max_length=5)
    phone = _phone()
    display_name = forms.CharField(label=_("Nom du nouveau premier maire"), max_length=80)
