from django.apps import AppConfig


class VigilantsConfig(AppConfig):
    """The project package as an app: only so that its system checks are registered (vigilants/checks.py)."""

    name = "vigilants"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the configuration checks)
