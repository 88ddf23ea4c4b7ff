from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The embedded demo's data (`manage.py seed_demo`, run by `make run`): on top of every other app."""

    name = "demo"
