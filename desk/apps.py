from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The town hall's desk: server-rendered pages for a commune's moderators, and the gendarmes' view."""

    name = "desk"
