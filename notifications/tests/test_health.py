"""A stuck or failing provider shows in /healthz without failing it."""

from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from conftest import Town
from notifications.models import Delivery

from .helpers import member, message


def test_it_reports_ok_when_nothing_waits(saint_paul: Town, anon: APIClient) -> None:
    assert anon.get("/healthz").json()["checks"]["notifications"] == "ok"


def test_it_reports_deliveries_stuck_for_five_minutes_but_stays_200(saint_paul: Town, anon: APIClient) -> None:
    msg = message(saint_paul.commune)
    stuck = Delivery.objects.create(message=msg, user=saint_paul.resident, channel="push")
    Delivery.objects.create(message=msg, user=saint_paul.mayor, channel="push",
                            not_before=timezone.now() + timedelta(hours=6))  # fmt: skip  (quiet hours: not stuck)
    Delivery.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=6))
    Delivery.objects.filter(user=saint_paul.mayor).update(created_at=timezone.now() - timedelta(minutes=6))
    response = anon.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["notifications"] == "degraded: 1 deliveries waiting for more than 5 minutes"


def test_it_reports_a_provider_failing_most_sends(saint_paul: Town, anon: APIClient) -> None:
    msg = message(saint_paul.commune)
    for i in range(25):
        user = member(saint_paul.commune)
        Delivery.objects.create(message=msg, user=user, channel="sms", status="failed" if i < 20 else "sent")
    assert anon.get("/healthz").json()["checks"]["notifications"] == (
        "degraded: sms: 20/25 failed in the last 10 minutes"
    )
