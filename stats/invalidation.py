"""The events after which a commune's cached statistics (stats/cache.py) are forgotten; stats/apps.py connects them.

Writes that go around these (raw SQL, a queryset's bulk `update()` on alerts) are seen only when their entries
expire (cache.SETTLED_SECONDS): whoever writes them calls `cache.forget` or `cache.forget_all`.
"""

from typing import Any

from accounts.models import User
from alerts.models import Alert
from communes.models import Membership
from notifications.models import Delivery

from . import cache

# The retention purge deletes old deliveries by the thousand, without a signal per row.
PURGES = {"notifications.tasks.purge_old_deliveries"}


def alerts_changed(commune_id: int, **kwargs: Any) -> None:
    cache.forget(commune_id)


def alert_saved(instance: Alert, **kwargs: Any) -> None:
    cache.forget(instance.commune_id)


def membership_changed(instance: Membership, **kwargs: Any) -> None:
    cache.forget(instance.commune_id)  # `members` in the delivery figures


def commune_row_changed(instance: Any, **kwargs: Any) -> None:
    """A follow or a public warning: the territories' figures count them (stats/territory_stats.py)."""
    cache.forget(instance.commune_id)


def official_changed(**kwargs: Any) -> None:
    cache.forget_all()


def task_succeeded(sender: Any = None, result: Any = None, **kwargs: Any) -> None:
    if getattr(sender, "name", None) in PURGES and result:
        cache.forget_all()


def person_erased(user: User) -> None:
    """Their memberships and deliveries go with the account, in the erasure's transaction."""
    communes = set(Membership.objects.filter(user=user).values_list("commune_id", flat=True))
    communes |= set(Delivery.objects.filter(user=user).values_list("message__commune_id", flat=True).distinct())
    for commune_id in communes:
        cache.forget(commune_id)
