"""One commune's overdue reports, as the town hall's desk lists them: its own delay, reminded or not."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertStatus, CommunePolicy
from alerts.services import commune_overdue_alerts, escalation_delay
from conftest import Town
from vigilants.categories import Category

pytestmark = pytest.mark.django_db


def waiting(town: Town, minutes: int, **fields: object) -> Alert:
    alert = Alert.objects.create(commune=town.commune, reporter=town.resident, category=Category.VOL,
                                 description="Vélo volé devant la mairie", occurred_at=timezone.now(), **fields)  # fmt: skip
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))
    return alert


def test_the_delay_is_the_communes_policy_or_the_default(saint_paul: Town) -> None:
    assert escalation_delay(saint_paul.commune) == timedelta(minutes=30)
    CommunePolicy.objects.create(commune=saint_paul.commune, escalation_minutes=90)
    assert escalation_delay(saint_paul.commune) == timedelta(minutes=90)


def test_only_the_communes_pending_reports_past_its_delay_oldest_first(saint_paul: Town, charleville: Town) -> None:
    CommunePolicy.objects.create(commune=saint_paul.commune, escalation_minutes=60)
    recent = waiting(saint_paul, 45)
    late = waiting(saint_paul, 61)
    later = waiting(saint_paul, 200)
    reminded = waiting(saint_paul, 120, escalated_at=timezone.now())
    waiting(saint_paul, 300, status=AlertStatus.APPROVED)
    waiting(charleville, 300)
    overdue = list(commune_overdue_alerts(saint_paul.commune))
    assert overdue == [later, reminded, late]
    assert recent not in overdue
