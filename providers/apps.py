from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProvidersConfig(AppConfig):
    """The SMS and push providers behind one interface (console, Twilio, FCM), the GSM alphabet, the global
    SMS rate: what sign-in codes and the fan-out both send through."""

    name = "providers"
    verbose_name = _("Fournisseurs SMS et push")

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the provider checks)
