from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"

    def ready(self) -> None:
        from celery.signals import task_success
        from django.db.models.signals import post_delete, post_save

        from accounts.rgpd import register
        from alerts.models import Alert
        from alerts.signals import alerts_changed
        from communes.models import Follow, Membership
        from risks.models import RiskWarning

        from . import invalidation
        from .models import OfficialFigure

        # Whatever changes what a commune's statistics show forgets their cached answers (stats/cache.py).
        alerts_changed.connect(invalidation.alerts_changed, dispatch_uid="stats.alerts_changed")
        for signal in (post_save, post_delete):
            # The services announce their writes; these catch the admin's and a shell's.
            signal.connect(invalidation.alert_saved, sender=Alert, dispatch_uid=f"stats.alert.{id(signal)}")
            signal.connect(invalidation.membership_changed, sender=Membership, dispatch_uid=f"stats.membership.{id(signal)}")
            signal.connect(invalidation.official_changed, sender=OfficialFigure, dispatch_uid=f"stats.official.{id(signal)}")
            for counted in (Follow, RiskWarning):
                signal.connect(invalidation.commune_row_changed, sender=counted,
                               dispatch_uid=f"stats.{counted.__name__}.{id(signal)}")  # fmt: skip
        task_success.connect(invalidation.task_succeeded, dispatch_uid="stats.task_succeeded")
        register("stats", erase=invalidation.person_erased)
