"""Periodic: remind the mayor of alerts that waited too long for moderation."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from audit.services import audit_record
from communes.models import Membership, MembershipStatus, Role
from notifications.models import MessageKind, MessageSource
from notifications.services import message_enqueue

from .models import Alert, AlertKind, AlertStatus, Confirmation
from .rgpd import anonymise_confirmations, anonymise_reports
from .services import overdue_alerts

log = logging.getLogger(__name__)


@shared_task
def escalate_pending_alerts() -> int:
    """Each overdue alert is claimed once (conditional UPDATE), then its commune's mayors are told."""
    escalated = 0
    for alert in overdue_alerts():
        with transaction.atomic():
            claimed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.PENDING, escalated_at__isnull=True)
            if not claimed.update(escalated_at=timezone.now()):
                continue
            _remind_mayors(alert)
            escalated += 1
    return escalated


def _remind_mayors(alert: Alert) -> None:
    if not Membership.objects.filter(commune=alert.commune, role=Role.MAYOR, status=MembershipStatus.APPROVED).exists():
        log.warning("alert %s overdue but commune %s has no mayor", alert.pk, alert.commune_id)
        return
    with override("fr"):  # sent to the mayors' phones: French, whoever's request is being served
        _enqueue_reminder(alert)
    audit_record(actor=None, action="alert.escalated", obj=alert, commune=alert.commune)


def _enqueue_reminder(alert: Alert) -> None:
    message_enqueue(
        commune=alert.commune, kind=MessageKind.REMINDER, title=_("Signalement en attente de modération"),
        body=_("Un signalement (%(category)s) attend votre décision depuis %(since)s.")
        % {"category": alert.get_category_display(), "since": timezone.localtime(alert.created_at).strftime("%H:%M")},
        urgent=True, roles=[Role.MAYOR],
        source_type=MessageSource.ALERT_REMINDER, source_id=alert.pk,
    )  # fmt: skip


@shared_task
def anonymise_old_reports() -> int:
    """Statistics need the alert, not who reported it nor their house: after the retention period the link,
    the typed address and the exact position go (RGPD). Returns the number of reports anonymised."""
    cutoff = timezone.now() - timedelta(days=settings.REPORTER_RETENTION_DAYS)
    anonymise_confirmations(Confirmation.objects.filter(created_at__lt=cutoff, reporter__isnull=False))
    return anonymise_reports(Alert.objects.filter(created_at__lt=cutoff, reporter__isnull=False, kind=AlertKind.REPORT))
