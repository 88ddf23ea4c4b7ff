"""Who sees which alert: one function per rule, read by the views (the rules on roles are communes.access)."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

from accounts.models import User
from communes import access
from communes.models import Commune

from .models import Alert, AlertKind, AlertStatus


def counted_reports(occurred_from: datetime | None = None, occurred_before: datetime | None = None) -> QuerySet[Alert]:
    """What the statistics count: approved residents' reports (never the mayor's broadcasts), by when they
    happened, in [occurred_from, occurred_before)."""
    alerts = Alert.objects.filter(kind=AlertKind.REPORT, status=AlertStatus.APPROVED)
    if occurred_from is not None:
        alerts = alerts.filter(occurred_at__gte=occurred_from)
    if occurred_before is not None:
        alerts = alerts.filter(occurred_at__lt=occurred_before)
    return alerts.order_by()


def viewer(request: Request) -> User:
    """Who is looking: a signed-in person (every alert endpoint requires it: DEFAULT_PERMISSION_CLASSES)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


def visible_alerts(user: User) -> QuerySet[Alert]:
    """Approved alerts of my communes and of my gendarmerie area; everything in the communes whose reports I
    moderate (a territory's operator too, where the mayor delegated it); my own reports."""
    alerts = Alert.objects.select_related("commune", "reporter", "moderated_by").prefetch_related("followups")
    if user.is_staff:
        return alerts
    return alerts.filter(
        Q(status=AlertStatus.APPROVED, commune_id__in=access.member_commune_ids(user))
        | access.reports_moderated_q(user, "commune__")
        | Q(reporter=user)
        | (Q(status=AlertStatus.APPROVED) & access.in_gendarme_area(user, "commune__"))
    )


def visible_alert(user: User, pk: int) -> Alert | None:
    """The alert if the user may see it, else None (as if it did not exist)."""
    return visible_alerts(user).filter(pk=pk).first()


def commune_broadcasts(user: User, commune: Commune) -> QuerySet[Alert]:
    """The mayor's warnings to a commune, as far as the user may see them."""
    return visible_alerts(user).filter(commune=commune, kind=AlertKind.BROADCAST)


def may_moderate(user: User, alert: Alert) -> bool:
    """Referents and mayors of the alert's commune, operators it delegated moderation to, and staff."""
    return access.moderates_reports(user, alert.commune_id)


def disclosure_context(user: User) -> dict[str, Any]:
    """What AlertSerializer needs to show moderators' fields (who reported, who moderated) only to moderators."""
    # Staff see every commune as a moderator: a flag, not the set of every commune that has an alert.
    if user.is_staff:
        return {"user": user, "moderates_all": True}
    return {"user": user, "moderated_communes": access.reports_moderated_ids(user)}
