"""In process, from the mayor's request to the provider's call: a warning, its update and its end reach the
commune's people, and every push of the thread carries one tag, so that each replaces the last on the phone."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from communes.models import Follow
from conftest import Town, client_for
from notifications import composer
from notifications.models import Delivery, Device, Message, MessageSource, MessageStatus
from notifications.tests.helpers import member
from notifications.tests.recording import transports_fixture  # noqa: F401 - fixture
from providers.fcm_wire import encode
from risks.tests.conftest import post_created as post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_thread_reaches_the_members_and_replaces_itself_on_their_phones(
    saint_paul: Town, transports: Any, django_capture_on_commit_callbacks: Any
) -> None:
    push, sms = transports
    pushers = [member(saint_paul.commune, channels=["push"]) for _ in range(2)]
    texter = member(saint_paul.commune, channels=["sms"], device=False)
    mayor = client_for(saint_paul.mayor)
    expires = (timezone.now() + timedelta(hours=8)).isoformat()
    first = post(mayor, "/api/v1/communes/06128/warnings", {
        "hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde.",
        "expires_at": expires}, django_capture_on_commit_callbacks)  # fmt: skip
    update = post(mayor, f"/api/v1/warnings/{first['id']}/update", {"level": "red"}, django_capture_on_commit_callbacks)
    end = post(mayor, f"/api/v1/warnings/{update['id']}/end", {"text": "Décrue."}, django_capture_on_commit_callbacks)

    messages = [Message.objects.get(source_type=MessageSource.WARNING, source_id=row["id"]) for row in (first, update, end)]
    assert all(m.status == MessageStatus.PLANNED for m in messages)
    tag = f"warning-{first['id']}"
    assert {m.collapse_key for m in messages} == {tag} == {composer.push_fields(m)["collapse_key"] for m in messages}
    # Every member but the mayor who wrote it, each time.
    people = {p.pk for p in pushers} | {texter.pk, saint_paul.referent.pk, saint_paul.resident.pk, saint_paul.resident2.pk}
    for message in messages:
        assert set(Delivery.objects.filter(message=message).values_list("user_id", flat=True)) == people
    # What the phones received: three pushes each, all under the thread's tag on every platform.
    tokens = {p.devices.get().fcm_token for p in pushers}
    assert len(push.sent) == 3 * len(tokens) and {m.token for m in push.sent} == tokens
    for sent in push.sent:
        wire = encode(sent)
        assert wire["android"]["notification"]["tag"] == tag == wire["apns"]["headers"]["apns-collapse-id"]
        assert wire["webpush"]["notification"]["tag"] == tag
    # The red update went by every channel: the push-only members got an SMS too, that once.
    texted = [m.to for m in sms.sent]
    for person in pushers:
        assert texted.count(str(person.phone)) == 1
    assert texted.count(str(texter.phone)) == 3
    titles = [m.title for m in push.sent if m.token == next(iter(tokens))]
    assert titles == ["Vigilance orange : Crue du Loup", "Mise à jour – Vigilance rouge : Crue du Loup",
                      "Fin de l'avis : Crue du Loup"]  # fmt: skip


def test_a_follower_who_is_not_a_member_receives_the_warning(
    saint_paul: Town, transports: Any, django_capture_on_commit_callbacks: Any
) -> None:
    follower = UserFactory.create(preferences={"channels": ["push"]})
    Device.objects.create(user=follower, fcm_token=f"token-{follower.pk}-{'y' * 20}", platform="android")
    Follow.objects.create(user=follower, commune=saint_paul.commune)
    first = post(client_for(saint_paul.mayor), "/api/v1/communes/06128/warnings", {
        "hazard": "storm", "level": "yellow", "title": "Vent fort", "description": "Rafales à 90 km/h.",
        "expires_at": (timezone.now() + timedelta(hours=8)).isoformat()}, django_capture_on_commit_callbacks)  # fmt: skip
    message = Message.objects.get(source_type=MessageSource.WARNING, source_id=first["id"])
    assert Delivery.objects.filter(message=message, user=follower).exists()
