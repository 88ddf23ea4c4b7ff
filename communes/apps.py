from django.apps import AppConfig


class CommunesConfig(AppConfig):
    name = "communes"
    def ready(self) -> None:
        from accounts.rgpd import register
        from accounts.serializers import register_me_field

        from .follow import erase_follows, export_follows
        from .rgpd import erase_memberships, export_memberships
        from .territory_selectors import my_territories, operates_any

        register("memberships", export=export_memberships, erase=erase_memberships)
        register("follows", export=export_follows, erase=erase_follows)
        register_me_field("territories", my_territories, question=operates_any())
        self._forget_answers_on_change()
        self._forget_signins_on_change()

    def _forget_signins_on_change(self) -> None:
        from accounts.signin_cache import forget_on_change

        from .models import Membership, ModerationDelegation, TerritoryOperator

        # A person's memberships and territories answer the questions asked with their token (whether they
        # share the residents' pages, moderate a commune: accounts/signin_cache.py).
        forget_on_change(Membership, lambda membership: [membership.user_id])
        forget_on_change(TerritoryOperator, lambda operator: [operator.user_id])
        # Rare, and its territory before a change is unknown here: every operator's answers are read again.
        forget_on_change(ModerationDelegation, lambda _: TerritoryOperator.objects.values_list("user_id", flat=True))

    def _forget_answers_on_change(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .answers import on_model_change
        from .models import Commune, Neighbourhood

        # What the public answers show: the communes, and the quartiers of enrolled ones.
        for model in (Commune, Neighbourhood):
            post_save.connect(on_model_change, sender=model, dispatch_uid=f"communes-answers-save-{model.__name__}")
            post_delete.connect(on_model_change, sender=model, dispatch_uid=f"communes-answers-delete-{model.__name__}")
