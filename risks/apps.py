from django.apps import AppConfig


class RisksConfig(AppConfig):
    """Public warnings of natural and technological risks: the mayor's (police powers, plan communal de
    sauvegarde), to members and followers alike; the State's vigilance that prompts them; CAP 1.2 in and out."""

    name = "risks"

    def ready(self) -> None:
        # Imported here: these modules read models, which are not loaded when this module is.
        from accounts.rgpd import register
        from vigilants.health import register_check

        from .prompts import on_vigilance_rose
        from .rgpd import erase_risks, export_risks
        from .signals import vigilance_rose
        from .vigilance.health import check_vigilance

        vigilance_rose.connect(on_vigilance_rose, dispatch_uid="risks.prompts.on_vigilance_rose")
        # Warnings stay without their author; delegations go (risks/rgpd.py).
        register("risks", export=export_risks, erase=erase_risks)
        # How the State's vigilance sources answer, for staff; a failing source does not fail /healthz.
        register_check("vigilance", check_vigilance)
