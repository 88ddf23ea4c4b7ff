"""The dashboards tell the mayor, in French, when sending is delayed for their commune or the broker is down."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from conftest import Town
from notifications import health
from notifications.models import Delivery, Message, MessageStatus

BANNER = "L’envoi des alertes est retardé"
PAGES = ["/dashboard/", "/dashboard/communes/06128/", f"/dashboard/communes/06128/bilan/{timezone.localdate().year}/"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shown(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def message(town: Town, **fields: object) -> Message:
    return Message.objects.create(commune=town.commune, kind="alert", title="Cambriolage", body="Rue des Oliviers",
                                  channels=["push"], **fields)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_no_banner_when_sending_is_on_time(saint_paul: Town, path: str) -> None:
    message(saint_paul, status=MessageStatus.PLANNED)
    assert BANNER not in shown(signed_in(saint_paul.mayor), path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_the_mayor_is_told_when_the_broker_is_down(saint_paul: Town, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "broker_answers", lambda: False)
    page = shown(signed_in(saint_paul.mayor), path)
    assert BANNER in page and "le service d&#x27;envoi ne répond pas" in page
    assert 'data-testid="sending-delayed"' in page


@pytest.mark.django_db
def test_the_mayor_is_told_when_a_provider_refused_and_sends_are_retried(saint_paul: Town) -> None:
    msg = message(saint_paul, status=MessageStatus.PLANNED)
    Delivery.objects.create(message=msg, user=saint_paul.resident, channel="sms", attempts=1, error_code="20429",
                            not_before=timezone.now() + timedelta(seconds=30))  # fmt: skip
    mayor = signed_in(saint_paul.mayor)
    for path in PAGES[:2]:
        page = shown(mayor, path)
        assert BANNER in page and "retentés automatiquement" in page


@pytest.mark.django_db
def test_another_communes_delay_is_not_shown(saint_paul: Town, charleville: Town) -> None:
    late = message(charleville)
    Message.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert BANNER not in shown(signed_in(saint_paul.mayor), "/dashboard/communes/06128/")
    page = shown(signed_in(charleville.mayor), "/dashboard/communes/08105/")
    assert BANNER in page and "plus d&#x27;une minute" in page
