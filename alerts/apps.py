from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from accounts.rgpd import register

        from .rgpd import erase_reports, export_reports

        # The reports stay, anonymised: no reporter, no address, positions rounded (alerts/rgpd.py).
        register("alerts", export=export_reports, erase=erase_reports)
