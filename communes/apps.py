from django.apps import AppConfig


class CommunesConfig(AppConfig):
    name = "communes"
    def ready(self) -> None:
        from accounts.rgpd import register

        from .rgpd import erase_memberships, export_memberships

        register("memberships", export=export_memberships, erase=erase_memberships)
