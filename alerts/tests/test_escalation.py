from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.tasks import escalate_pending_alerts
from audit.models import AuditEntry
from conftest import Town, client_for
from notifications.models import Delivery, Message


@pytest.mark.django_db
def test_an_alert_waiting_too_long_reminds_the_mayors_once(saint_paul: Town, report, django_capture_on_commit_callbacks) -> None:
    client_for(saint_paul.mayor).patch("/api/v1/communes/06128/policy", {"escalation_minutes": 15})
    report()
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert escalate_pending_alerts() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=16)), django_capture_on_commit_callbacks(execute=True):
        assert escalate_pending_alerts() == 1
        assert escalate_pending_alerts() == 0
    reminder = Message.objects.get(kind="reminder")
    assert reminder.roles == ["mayor"] and reminder.urgent
    assert set(Delivery.objects.filter(message=reminder).values_list("user_id", flat=True)) == {saint_paul.mayor.pk}
    assert AuditEntry.objects.filter(action="alert.escalated").count() == 1


@pytest.mark.django_db
def test_a_moderated_alert_is_never_escalated(saint_paul: Town, report) -> None:
    alert_id = report().json()["id"]
    client_for(saint_paul.referent).post(f"/api/v1/alerts/{alert_id}/approve")
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert escalate_pending_alerts() == 0
