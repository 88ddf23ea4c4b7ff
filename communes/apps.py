from django.apps import AppConfig


class CommunesConfig(AppConfig):
    name = "communes"
