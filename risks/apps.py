from django.apps import AppConfig


class RisksConfig(AppConfig):
    """Public warnings of natural and technological risks: the mayor's (police powers, plan communal de
    sauvegarde), to members and followers alike; the State's vigilance that prompts them; CAP 1.2 in and out."""

    name = "risks"

    def ready(self) -> None:
        from vigilants.health import register_check

        from .vigilance.health import check_vigilance

        # How the State's vigilance sources answer, for staff; a failing source does not fail /healthz.
        register_check("vigilance", check_vigilance)
