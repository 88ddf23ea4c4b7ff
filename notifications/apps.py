from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from vigilants import lookups  # noqa: F401 (registers id__any, used by the fan-out)

        from . import checks  # noqa: F401 (registers the provider checks)
