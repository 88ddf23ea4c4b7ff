from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alert
from alerts.tasks import anonymise_old_reports
from communes.models import Membership
from communes.tasks import purge_rejected_memberships
from conftest import Town


@pytest.mark.django_db
def test_old_reports_lose_their_reporter_but_stay(saint_paul: Town, report) -> None:
    alert_id = report().json()["id"]
    assert anonymise_old_reports() == 0
    with time_machine.travel(timezone.now() + timedelta(days=366)):
        assert anonymise_old_reports() == 1
    alert = Alert.objects.get(pk=alert_id)
    assert alert.reporter is None and alert.description


@pytest.mark.django_db
def test_rejected_requests_to_join_are_purged_after_ninety_days(saint_paul: Town) -> None:
    Membership.objects.filter(user=saint_paul.applicant).update(status="rejected", decided_at=timezone.now())
    assert purge_rejected_memberships() == 0
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert purge_rejected_memberships() == 1
    assert Membership.objects.filter(status="approved").count() == 4
