from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"

    def ready(self) -> None:
        from accounts.rgpd import register
        from notifications.inbound import register_inbound_handler

        from .rgpd import erase_reports, export_reports
        from .sms_reports import handle_sms

        # The reports stay, anonymised: no reporter, no address, positions rounded (alerts/rgpd.py).
        register("alerts", export=export_reports, erase=erase_reports)
        # Texts to the commune's number other than STOP / START: reports and "OUI" confirmations by SMS.
        register_inbound_handler("alerts", handle_sms)
        _share_pages_until_they_change()
        _forget_reporters_signins()


def _forget_reporters_signins() -> None:
    """A resident who reports reads their own report's fields: they no longer share the residents' pages, a
    question answered with their kept token (accounts/signin_cache.py)."""
    from accounts.signin_cache import forget_on_change

    from .models import Alert

    forget_on_change(Alert, lambda alert: [alert.reporter_id], created_only=True)


def _share_pages_until_they_change() -> None:
    """Any alert or follow-up saved or deleted outdates its commune's shared list pages (alerts/pages.py)."""
    from django.db.models.signals import post_delete, post_save

    from .models import Alert, FollowUp
    from .pages import commune_changed

    def alert_changed(sender: type, instance: Alert, **kwargs: object) -> None:
        commune_changed(instance.commune_id)

    def followup_changed(sender: type, instance: FollowUp, **kwargs: object) -> None:
        commune_changed(Alert.objects.filter(pk=instance.alert_id).values_list("commune_id", flat=True).first() or 0)

    for signal in (post_save, post_delete):
        signal.connect(alert_changed, sender=Alert, weak=False, dispatch_uid=f"alerts-pages-alert-{signal is post_save}")
        signal.connect(followup_changed, sender=FollowUp, weak=False, dispatch_uid=f"alerts-pages-followup-{signal is post_save}")
