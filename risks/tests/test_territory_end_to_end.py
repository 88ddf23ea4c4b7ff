"""In process, from the operator's request to the provider's call: one warning over three communes reaches a
person following two of them once, each commune's mayors first, and its update and end replace it on the phones."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from communes.models import Commune, Follow
from conftest import NICE_METROPOLE, Town, client_for, make_town
from notifications.models import Message, MessageSource
from notifications.tests.helpers import member
from notifications.tests.recording import transports_fixture  # noqa: F401 - fixture
from providers.fcm_wire import encode
from risks.tests.conftest import post_created as post
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_one_flood_warning_over_three_communes(saint_paul: Town, operator_nca: Any, transports: Any,
                                               django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    push, sms = transports
    vence = make_town("06157", "Vence", "06", latitude=43.7225, longitude=7.1119)
    cagnes = make_town("06027", "Cagnes-sur-Mer", "06", latitude=43.6641, longitude=7.1489)
    Commune.objects.filter(pk__in=[vence.commune.pk, cagnes.commune.pk]).update(epci_siren=NICE_METROPOLE)
    fan = member(saint_paul.commune, channels=["push"])  # a member of Saint-Paul who follows Vence and Cagnes
    Follow.objects.create(user=fan, commune=vence.commune)
    Follow.objects.create(user=fan, commune=cagnes.commune, channels=["push"])
    follower = UserFactory.create(preferences={"channels": ["sms"], "categories": None, "quiet_hours": None})
    for town in (vence, cagnes):  # follows two, member of none
        Follow.objects.create(user=follower, commune=town.commune)
    operator = client_for(operator_nca)
    group = post(operator, "/api/v1/warnings", {
        "hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde.",
        "expires_at": (timezone.now() + timedelta(hours=8)).isoformat(), "communes": ["06128", "06157", "06027"],
    }, django_capture_on_commit_callbacks)  # fmt: skip
    tag = f"area-warning-{group['id']}"
    fan_token = fan.devices.get().fcm_token
    assert [encode(m)["android"]["notification"]["tag"] for m in push.sent if m.token == fan_token] == [tag]
    assert [m.to for m in sms.sent].count(str(follower.phone)) == 1
    # Each mayor was told by a message of their own, planned and sent before the residents'.
    notices = Message.objects.filter(source_type=MessageSource.WARNING_NOTICE).order_by("pk")
    assert {n.commune.insee for n in notices} == {"06128", "06157", "06027"}
    assert all(n.pk < group["message"] for n in notices)
    for town in (saint_paul, vence, cagnes):
        listed = client_for(town.mayor).get(f"/api/v1/communes/{town.commune.insee}/warnings").json()["results"]
        assert [w["group"]["id"] for w in listed] == [group["id"]]
    # The update and the end replace it: the same tag on the phone.
    post(operator, f"/api/v1/warning-groups/{group['id']}/update", {"level": "red"}, django_capture_on_commit_callbacks)
    post(operator, f"/api/v1/warning-groups/{group['id']}/end", {"text": "Décrue."}, django_capture_on_commit_callbacks)
    fan_pushes = [m for m in push.sent if m.token == fan_token]
    assert [encode(m)["android"]["notification"]["tag"] for m in fan_pushes] == [tag] * 3
    assert [m.title for m in fan_pushes] == ["Vigilance orange : Crue du Loup",
                                             "Mise à jour – Vigilance rouge : Crue du Loup",
                                             "Fin de l'avis : Crue du Loup"]  # fmt: skip
