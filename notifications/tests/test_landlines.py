"""Landlines: a person's own, verified by a call (through the SDK, against the fake provider) that reads a code;
a resident registered by the town hall with their consent; both in the person's RGPD export and erasure."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import rgpd
from accounts.models import User
from audit.models import AuditEntry
from communes.models import Membership, MembershipStatus, Role
from conftest import Town, client_for
from fakeprovider import FakeProvider
from notifications import planner
from notifications.models import Channel, Delivery, Landline
from notifications.tests.helpers import message
from providers import ratelimit
from providers.base import reset_backends
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db

LANDLINE = "/api/v1/me/landline"
VERIFY = "/api/v1/me/landline/verify"


@pytest.fixture
def calls(twilio_settings: SettingsWrapper, fake_provider: FakeProvider) -> Iterator[FakeProvider]:
    """Verification calls through Twilio's SDK to the fake provider."""
    twilio_settings.VOICE_BACKEND = twilio_settings.VOICE_BACKENDS["twilio"]
    ratelimit.reset()
    reset_backends()
    yield fake_provider
    reset_backends()


def code_read(call: dict[str, Any]) -> str:
    """The code the call spoke: its digits, said one by one."""
    spoken = re.search(r"code de vérification est : ([0-9](?:, [0-9]){5})\.", call["twiml"])
    assert spoken is not None, call["twiml"]
    return spoken.group(1).replace(", ", "")


def test_a_landline_is_verified_by_the_code_a_call_reads(calls: FakeProvider, saint_paul: Town) -> None:
    person = saint_paul.resident
    client = client_for(person)

    response = client.post(LANDLINE, {"number": "01 40 00 00 09"})

    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+33140000009" and response.json()["verified"] is False
    [call] = calls.calls()
    assert call["form"]["To"] == "+33140000009" and "StatusCallback" not in call["form"]
    twiml, code = call["twiml"], code_read(call)
    assert twiml.count('<Say language="fr-FR">') == 4 and twiml.count(", ".join(code)) == 3  # read, then twice more
    assert code not in twiml  # never as one number: a voice would read "cent vingt-trois mille…"
    landline = Landline.objects.get(user=person)
    assert landline.code_hash and code not in landline.code_hash and not landline.usable

    wrong = "000000" if code != "000000" else "111111"
    refused = client.post(VERIFY, {"code": wrong})
    assert refused.status_code == 400 and refused.json() == {"code": ["Code incorrect."]}
    accepted = client.post(VERIFY, {"code": code})
    assert accepted.status_code == 200 and accepted.json()["verified"] is True
    assert Landline.objects.get(user=person).usable

    # Used for calls: a message by voice to someone who chose calls goes to the landline.
    User.objects.filter(pk=person.pk).update(preferences={"channels": ["voice"], "categories": None,
                                                          "quiet_hours": None})  # fmt: skip
    msg = message(saint_paul.commune, channels=["push", "sms", "voice"], urgent=True)
    planner.plan(msg.pk)
    assert Delivery.objects.filter(message=msg, user=person, channel=Channel.VOICE).exists()


@pytest.mark.parametrize(("number", "error"), [
    ("06 12 34 56 78", "Ce numéro est un mobile : une ligne fixe commence par 01, 02, 03, 04, 05 ou 09."),
    ("08 12 34 56 78", "Une ligne fixe commence par 01, 02, 03, 04, 05 ou 09."),
    ("01 23", "Numéro de ligne fixe invalide."),
    ("+44 20 7946 0958", "Numéro de ligne fixe invalide."),
])  # fmt: skip
def test_only_french_landlines_are_taken(calls: FakeProvider, saint_paul: Town, number: str, error: str) -> None:
    response = client_for(saint_paul.resident).post(LANDLINE, {"number": number})

    assert response.status_code == 400 and response.json() == {"number": [error]}
    assert calls.calls() == [] and not Landline.objects.exists()


def test_wrong_codes_burn_the_code_and_an_old_code_expires(calls: FakeProvider, saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    client.post(LANDLINE, {"number": "0493000001"})
    code = code_read(calls.calls()[0])
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(5):
        assert client.post(VERIFY, {"code": wrong}).json() == {"code": ["Code incorrect."]}

    burnt = client.post(VERIFY, {"code": code})
    assert burnt.status_code == 400
    assert burnt.json() == {"code": ["Code expiré ou inconnu : demandez un nouvel appel."]}

    client.post(LANDLINE, {"number": "0493000001"})  # a new call, a new code
    fresh = code_read(calls.calls()[1])
    Landline.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(VERIFY, {"code": fresh}).status_code == 400
    assert not Landline.objects.get().usable
    assert client.post(VERIFY, {"code": "12345"}).status_code == 400  # not 6 digits


def test_verification_calls_are_limited_per_person(calls: FakeProvider, saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    for _call in range(3):
        assert client.post(LANDLINE, {"number": "0140000009"}).status_code == 201

    refused = client.post(LANDLINE, {"number": "0140000009"})

    assert refused.status_code == 400 and len(calls.calls()) == 3


def test_a_number_twilio_refuses_is_a_400(calls: FakeProvider, saint_paul: Town) -> None:
    response = client_for(saint_paul.resident).post(LANDLINE, {"number": "0140098211"})  # Twilio 21211

    assert response.status_code == 400 and response.json() == {"number": ["Impossible d'appeler ce numéro."]}
    assert not Landline.objects.get(user=saint_paul.resident).usable


def test_deleting_the_landline(saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    Landline.objects.create(user=saint_paul.resident, phone="+33140000009", verified_at=timezone.now())

    assert client.get(LANDLINE).json()["usable"] is True
    assert client.delete(LANDLINE).status_code == 204
    assert client.delete(LANDLINE).status_code == 404
    assert client.get(LANDLINE).status_code == 404


def resident_body(**changes: object) -> dict[str, object]:
    return {"display_name": "Mme Paulette Giraud", "landline": "04 93 32 00 01", "address": "3 rue Grande",
            "consent": True, "consent_note": "Accord écrit signé en mairie.", **changes}  # fmt: skip


def residents_path(town: Town) -> str:
    return f"/api/v1/communes/{town.commune.insee}/landline-residents"


def test_the_mayor_registers_a_resident_reached_on_their_landline(saint_paul: Town) -> None:
    quartier = NeighbourhoodFactory.create(commune=saint_paul.commune)
    response = client_for(saint_paul.mayor).post(residents_path(saint_paul), resident_body(neighbourhood=quartier.pk),
                                                 format="json")  # fmt: skip

    assert response.status_code == 201, response.content
    user = User.objects.get(pk=response.json()["user"])
    assert (str(user.phone), user.display_name, user.has_usable_password()) == ("+33493320001", "Mme Paulette Giraud",
                                                                                False)  # fmt: skip
    assert user.preferences["channels"] == ["voice"]
    membership = Membership.objects.get(user=user)
    assert (membership.commune_id, membership.status, membership.role, membership.neighbourhood_id) == (
        saint_paul.commune.pk, MembershipStatus.APPROVED, Role.RESIDENT, quartier.pk)
    assert membership.decided_by_id == saint_paul.mayor.pk
    landline = Landline.objects.get(user=user)
    assert landline.usable and landline.verified_at is None
    assert (landline.registered_by_id, landline.consent_note) == (saint_paul.mayor.pk, "Accord écrit signé en mairie.")
    entry = AuditEntry.objects.get(action="landline.resident_registered")
    assert entry.actor_id == saint_paul.mayor.pk and entry.commune_id == saint_paul.commune.pk
    assert entry.after is not None and entry.after["consent_note"] == "Accord écrit signé en mairie."
    assert "+33493320001" not in str(entry.after)

    # A red warning: a call to the landline, never an SMS to it (its only number).
    red = message(saint_paul.commune, channels=["push", "sms", "voice"], every_channel=True)
    planner.plan(red.pk)
    assert list(Delivery.objects.filter(message=red, user=user).values_list("channel", flat=True)) == ["voice"]


@pytest.mark.parametrize("changes", [{"consent": False}, {"consent": None}, {"consent_note": ""}])
def test_no_registration_without_consent(saint_paul: Town, changes: dict[str, object]) -> None:
    body = resident_body(**changes)
    if changes.get("consent") is None and "consent" in changes:
        del body["consent"]
    response = client_for(saint_paul.mayor).post(residents_path(saint_paul), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"consent" if "consent" in changes else "consent_note"}
    assert not User.objects.filter(phone="+33493320001").exists() and not AuditEntry.objects.exists()


def test_a_resident_registration_refuses_a_mobile_and_a_known_number(saint_paul: Town) -> None:
    client = client_for(saint_paul.mayor)
    mobile = client.post(residents_path(saint_paul), resident_body(landline="0612345678"), format="json")
    assert mobile.status_code == 400 and list(mobile.json()) == ["landline"]

    UserFactory.create(phone="+33493320001")
    known = client.post(residents_path(saint_paul), resident_body(), format="json")
    assert known.status_code == 409


def test_export_and_erasure_cover_the_landline_and_the_consent(saint_paul: Town) -> None:
    response = client_for(saint_paul.mayor).post(residents_path(saint_paul), resident_body(), format="json")
    user = User.objects.get(pk=response.json()["user"])

    exported = rgpd.export_user(user)["landline"]

    assert exported["phone"] == "+33493320001" and exported["registered_by_town_hall"] is True
    assert exported["consent_note"] == "Accord écrit signé en mairie." and exported["consent_at"]
    assert exported["registered_by"] == saint_paul.mayor.display_name

    person = saint_paul.resident
    Landline.objects.create(user=person, phone="+33140000009", verified_at=timezone.now())
    own = client_for(person).get("/api/v1/me/export").json()["landline"]
    assert own["phone"] == "+33140000009" and own["verified"] is True and own["consent_at"] is None
    assert client_for(saint_paul.resident2).get("/api/v1/me/export").json()["landline"] is None

    rgpd.erase_user(person)
    assert not Landline.objects.filter(phone="+33140000009").exists()
