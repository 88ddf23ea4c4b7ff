from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from accounts.rgpd import register

        from .rgpd import export_reports

        # Erasure needs nothing here: reporter is SET_NULL, so the reports stay, anonymised.
        register("alerts", export=export_reports)
