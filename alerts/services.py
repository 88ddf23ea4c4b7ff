"""Writes on alerts. Views, tasks and commands call these; each is one transaction with its audit entry.

Where an alert goes: views (validate, authorise) → these services → notifications.services.message_enqueue
(the outbox row, in the same transaction) → the fan-out after commit.
"""

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from rest_framework.exceptions import ValidationError

from accounts.models import User
from audit.services import audit_record
from communes import access
from communes.models import MODERATOR_ROLES, Commune, Neighbourhood
from notifications.models import MessageKind, MessageSource
from notifications.services import (
    MessageFields,
    MessagePreview,
    message_draft,
    message_enqueue,
    message_for_source,
    message_preview,
)
from vigilants.categories import Category
from vigilants.errors import Conflict

from .duplicates import find_duplicate
from .models import Alert, AlertKind, AlertStatus, CommunePolicy, Confirmation, FollowUp, FollowUpKind
from .sensitive import explain, find_sensitive
from .signals import alerts_changed

EDITABLE = ("description", "category", "urgent")


def _snapshot(alert: Alert) -> dict[str, Any]:
    return {"status": alert.status, "category": alert.category, "urgent": alert.urgent, "description": alert.description}


def _statistics_changed(alert: Alert) -> None:
    alerts_changed.send(sender=Alert, commune_id=alert.commune_id)


def ensure_behaviour_only(field: str, *texts: str) -> None:
    """400 naming what to rephrase when a text names ethnicity, religion, nationality, health, orientation."""
    findings = [f for text in texts for f in find_sensitive(text)]
    if findings:
        raise ValidationError({field: [explain(findings)]})


def _lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _publish(alert: Alert, replaces: Alert | None = None, *, title: str = "", body: str = "") -> None:
    """Hand the alert to the fan-out, in the caller's transaction (the outbox row commits with it). What residents
    receive is French whatever the language of the request that sent it (a mayor's phone set to English)."""
    with override("fr"):
        _enqueue(alert, replaces, title=title, body=body)


def _enqueue(alert: Alert, replaces: Alert | None, *, title: str, body: str) -> None:
    targets = list(alert.target_neighbourhoods.values_list("pk", flat=True))
    message_enqueue(**_message_fields(alert, replaces, title=title, body=body, neighbourhood_ids=targets))


def _message_fields(
    alert: Alert, replaces: Alert | None, *, title: str, body: str, neighbourhood_ids: list[int]
) -> MessageFields:
    """The message that carries an alert to its commune's members (sent, or previewed before it is)."""
    if replaces is not None:
        kind = MessageKind.FOLLOWUP
    else:
        kind = MessageKind.BROADCAST if alert.kind == AlertKind.BROADCAST else MessageKind.ALERT
    return {
        "commune": alert.commune,
        "kind": kind,
        "title": title or alert.title or str(Category(alert.category).label),
        "body": body or alert.description,
        "urgent": alert.urgent,
        "category": None if alert.kind == AlertKind.BROADCAST else alert.category,
        "neighbourhood_ids": neighbourhood_ids or None,
        "channels": alert.channels or None,
        "exclude_user_id": alert.reporter_id,  # who reported it, or the mayor who wrote the broadcast, knows it
        "source_type": MessageSource.ALERT,
        "source_id": alert.pk,
        "replaces": message_for_source(MessageSource.ALERT, replaces.pk) if replaces else None,
    }


def _auto_approves(reporter: User, commune: Commune, category: str) -> bool:
    policy = CommunePolicy.objects.filter(commune=commune).first()
    if policy is None or category not in policy.auto_approve_categories:
        return False
    return access.role_in(reporter, commune) in MODERATOR_ROLES


@transaction.atomic
def alert_create(*, reporter: User, commune: Commune, **fields: Any) -> tuple[Alert, bool]:
    """A report: attached to a nearby recent one as a confirmation (returns it, True), or a new alert."""
    ensure_behaviour_only("description", fields["description"])
    fields.setdefault("occurred_at", timezone.now())
    duplicate = find_duplicate(commune=commune, **fields)
    if duplicate is not None:
        confirmed = alert_confirm(alert=duplicate, reporter=reporter, description=fields["description"],
                                  latitude=fields.get("latitude"), longitude=fields.get("longitude"))  # fmt: skip
        return confirmed, True
    alert = Alert.objects.create(reporter=reporter, commune=commune, **fields)
    _statistics_changed(alert)  # one more pending report in the moderation figures
    if _auto_approves(reporter, commune, alert.category):
        _approve(alert, reporter, action="alert.auto_approved")
    return alert, False


@transaction.atomic
def alert_confirm(
    *, alert: Alert, reporter: User, description: str = "", latitude: float | None = None, longitude: float | None = None
) -> Alert:
    """A "moi aussi": a second report of the same thing (alert_create), or "OUI" answered to an alert SMS, attached
    to the alert and counted on it (confirmations_count) instead of sent again. Returns the alert, counted."""
    Confirmation.objects.create(alert=alert, reporter=reporter, description=description, latitude=latitude,
                                longitude=longitude)  # fmt: skip
    Alert.objects.filter(pk=alert.pk).update(confirmations_count=F("confirmations_count") + 1)
    alert.refresh_from_db()
    return alert


def _approve(alert: Alert, actor: User, action: str = "alert.approved") -> Alert:
    before = _snapshot(alert)
    alert.status, alert.moderated_by, alert.moderated_at = AlertStatus.APPROVED, actor, timezone.now()
    alert.save(update_fields=["status", "moderated_by", "moderated_at"])
    audit_record(actor=actor, action=action, obj=alert, commune=alert.commune, before=before, after=_snapshot(alert))
    _publish(alert)
    _statistics_changed(alert)
    return alert


@transaction.atomic
def alert_approve(*, alert: Alert, actor: User) -> Alert:
    alert = _lock(alert)
    if alert.status != AlertStatus.PENDING:
        raise Conflict(_("Cette alerte a déjà été modérée."))
    # Defence in depth: the word list may have grown since the report came in.
    ensure_behaviour_only("description", alert.description)
    return _approve(alert, actor)


@transaction.atomic
def alert_reject(*, alert: Alert, actor: User, reason: str) -> Alert:
    alert = _lock(alert)
    if alert.status != AlertStatus.PENDING:
        raise Conflict(_("Cette alerte a déjà été modérée."))
    before = _snapshot(alert)
    alert.status, alert.rejection_reason = AlertStatus.REJECTED, reason
    alert.moderated_by, alert.moderated_at = actor, timezone.now()
    alert.save(update_fields=["status", "rejection_reason", "moderated_by", "moderated_at"])
    audit_record(actor=actor, action="alert.rejected", obj=alert, commune=alert.commune, before=before,
                 after={**_snapshot(alert), "reason": reason})  # fmt: skip
    _statistics_changed(alert)
    return alert


@transaction.atomic
def alert_update(*, alert: Alert, actor: User, **changes: Any) -> Alert:
    """Edit before approving (moderators, or the reporter while pending)."""
    alert = _lock(alert)
    if alert.status != AlertStatus.PENDING:
        raise Conflict(_("Une alerte modérée ne se modifie plus : publiez un erratum."))
    if "description" in changes:
        ensure_behaviour_only("description", changes["description"])
    before = _snapshot(alert)
    for name, value in changes.items():
        setattr(alert, name, value)
    alert.save(update_fields=list(changes) or None)
    audit_record(actor=actor, action="alert.edited", obj=alert, commune=alert.commune, before=before, after=_snapshot(alert))
    return alert


@transaction.atomic
def broadcast_create(
    *, commune: Commune, actor: User, title: str, body: str, urgent: bool = False,
    neighbourhoods: list[Neighbourhood] | None = None, channels: list[str] | None = None,
) -> Alert:  # fmt: skip
    """A mayor's warning: straight to the members, no moderation, recorded and listed like an alert."""
    ensure_behaviour_only("body", title, body)
    alert = _broadcast(commune=commune, actor=actor, title=title, body=body, urgent=urgent, channels=channels)
    alert.save(force_insert=True)
    alert.target_neighbourhoods.set(neighbourhoods or [])
    audit_record(actor=actor, action="broadcast.sent", obj=alert, commune=commune,
                 after={"title": title, "urgent": urgent, "neighbourhoods": [n.pk for n in neighbourhoods or []],
                        "channels": channels or []})  # fmt: skip
    _publish(alert)
    return alert


def broadcast_preview(
    *, commune: Commune, actor: User, title: str, body: str, urgent: bool = False,
    neighbourhoods: list[Neighbourhood] | None = None, channels: list[str] | None = None,
) -> MessagePreview:  # fmt: skip
    """What broadcast_create would send with the same arguments, before anything is: whom it would reach by
    each channel, its SMS and their cost. Refuses what broadcast_create refuses; writes nothing."""
    ensure_behaviour_only("body", title, body)
    alert = _broadcast(commune=commune, actor=actor, title=title, body=body, urgent=urgent, channels=channels)
    targets = [n.pk for n in neighbourhoods or []]
    with override("fr"):  # as _publish: what residents receive is French
        message = message_draft(**_message_fields(alert, None, title="", body="", neighbourhood_ids=targets))
    return message_preview(message)


def _broadcast(*, commune: Commune, actor: User, title: str, body: str, urgent: bool, channels: list[str] | None) -> Alert:
    """A broadcast not saved yet: the alert broadcast_create records, and broadcast_preview plans."""
    now = timezone.now()
    return Alert(
        commune=commune, kind=AlertKind.BROADCAST, category=Category.AUTRE, title=title, description=body,
        urgent=urgent, occurred_at=now, status=AlertStatus.APPROVED, reporter=actor, moderated_by=actor,
        moderated_at=now, channels=channels or [],
    )  # fmt: skip


@transaction.atomic
def followup_create(*, alert: Alert, actor: User, kind: FollowUpKind, body: str) -> FollowUp:
    """"Fin d'alerte" or "erratum": a short follow-up goes out, queued copies of the original are dropped."""
    alert = _lock(alert)
    if alert.status != AlertStatus.APPROVED:
        raise Conflict(_("Seule une alerte publiée peut recevoir une suite."))
    if alert.closed_at is not None:
        raise Conflict(_("Cette alerte est déjà close."))
    ensure_behaviour_only("body", body)
    followup = FollowUp.objects.create(alert=alert, kind=kind, body=body, author=actor)
    if kind == FollowUpKind.END:
        alert.closed_at = timezone.now()
        alert.save(update_fields=["closed_at"])
    with override("fr"):  # the follow-up's title goes to residents: French whatever the request's language
        title = _("Fin d'alerte") if kind == FollowUpKind.END else _("Rectificatif")
    audit_record(actor=actor, action=f"alert.followup.{kind}", obj=alert, commune=alert.commune, after={"body": body})
    _publish(alert, replaces=alert, title=title, body=body)
    _statistics_changed(alert)  # the follow-up is one more message of the alert in the delivery figures
    return followup


@transaction.atomic
def policy_update(*, commune: Commune, actor: User, **changes: Any) -> CommunePolicy:
    policy = CommunePolicy.objects.select_for_update().get_or_create(commune=commune)[0]
    before = {"auto_approve_categories": policy.auto_approve_categories, "escalation_minutes": policy.escalation_minutes}
    for name, value in changes.items():
        setattr(policy, name, value)
    policy.save()
    after = {"auto_approve_categories": policy.auto_approve_categories, "escalation_minutes": policy.escalation_minutes}
    audit_record(actor=actor, action="policy.changed", obj=policy, commune=commune, before=before, after=after)
    return policy


def _default_escalation_minutes() -> int:
    """The delay of a commune whose mayor never set one (no CommunePolicy row yet)."""
    minutes: int = CommunePolicy._meta.get_field("escalation_minutes").default
    return minutes


def escalation_delay(commune: Commune) -> timedelta:
    """How long a report of this commune may wait for moderation before the mayors are reminded."""
    minutes = CommunePolicy.objects.filter(commune=commune).values_list("escalation_minutes", flat=True).first()
    return timedelta(minutes=_default_escalation_minutes() if minutes is None else minutes)


def commune_overdue_alerts(commune: Commune) -> QuerySet[Alert]:
    """The commune's pending alerts that waited longer than it allows, oldest first, whether or not the mayors
    were reminded yet: the reminder goes once (overdue_alerts), the report needs a decision until it gets one."""
    waited_since = timezone.now() - escalation_delay(commune)
    overdue = Alert.objects.filter(commune=commune, status=AlertStatus.PENDING, created_at__lte=waited_since)
    return overdue.order_by("created_at", "pk")


def overdue_alerts() -> list[Alert]:
    """Pending alerts that waited longer than their commune allows, not yet escalated."""
    now = timezone.now()
    candidates = Alert.objects.filter(status=AlertStatus.PENDING, escalated_at__isnull=True).select_related("commune")
    batch = list(candidates.order_by("created_at")[:500])
    # One query for every commune's policy, not one per alert.
    limits = dict(CommunePolicy.objects.filter(commune_id__in={a.commune_id for a in batch})
                  .values_list("commune_id", "escalation_minutes"))  # fmt: skip
    default = _default_escalation_minutes()
    overdue = []
    for alert in batch:
        minutes = limits.get(alert.commune_id, default)
        if alert.created_at <= now - timedelta(minutes=minutes):
            overdue.append(alert)
    return overdue
