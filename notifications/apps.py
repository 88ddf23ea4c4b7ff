from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from accounts.rgpd import register
        from vigilants import lookups  # noqa: F401 (registers id__any, used by the fan-out)
        from vigilants.health import register_check

        from .health import check_notifications
        from .landlines import erase_landline, export_landline
        from .rgpd import erase_devices, export_devices

        register("devices", export=export_devices, erase=erase_devices)
        register("landline", export=export_landline, erase=erase_landline)
        # A stuck or failing provider is reported without failing /healthz (notifications/health.py).
        register_check("notifications", check_notifications)
