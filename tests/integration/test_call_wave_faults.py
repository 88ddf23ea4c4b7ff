"""A call wave with its worker SIGKILLed mid-wave: real Celery workers serving the voice queue, Redis, PostgreSQL,
Twilio's SDK against the fake provider's Calls API, whose simulated people answer and press 1 and whose signed
callbacks come back to this process's live server.

Each person is called once: a call the dead worker had placed but whose answer it never read is found in
Twilio's Calls list for the number (voice.check_calls) and recorded, not placed again. A number is called twice
only when its first call provably did not connect (busy, no answer, failed), which none of these people do.
"""

import subprocess
import time
from collections import defaultdict

import pytest

from accounts.models import User
from communes.models import Commune, Membership
from fakeprovider import FakeProvider
from notifications.models import Delivery, DeliveryStatus, Message
from tests.factories import CommuneFactory

from .conftest import start_worker, stop, wait_for_worker, wait_until
from .fanout import enqueue, planned, sweep_until_final
from .test_fanout_faults import sigkill

pytestmark = pytest.mark.integration

PEOPLE = 30
CONFIRMED_WITHIN = 120.0  # seconds from the replacement worker's start: the dead worker's leases (30 s) included
NOT_CONNECTED = {"busy", "no-answer", "failed"}


@pytest.fixture
def voice_env(provider_env: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """Workers (started after this) place calls through Twilio's SDK at 5 a second."""
    monkeypatch.setenv("VOICE_BACKEND", "twilio")
    monkeypatch.setenv("CALLS_PER_SECOND", "5")
    monkeypatch.setenv("VOICE_RETRY_SECONDS", "1")
    return provider_env


@pytest.fixture
def worker(voice_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def seed_listeners(people: int) -> tuple[Commune, dict[int, str]]:
    """`people` approved members who chose voice calls only (no device, no SMS)."""
    commune = CommuneFactory.create(name="Vigie-sur-Appel")
    users = User.objects.bulk_create(
        User(phone=f"+33140{i:06d}", preferences={"channels": ["voice"], "categories": None, "quiet_hours": None})
        for i in range(people)
    )  # fmt: skip
    Membership.objects.bulk_create(Membership(user=u, commune=commune, status="approved", address="x") for u in users)
    return commune, {u.pk: u.phone for u in users}


def calls_per_number(fake: FakeProvider) -> dict[str, list[dict]]:
    placed: dict[str, list[dict]] = defaultdict(list)
    for call in fake.calls():
        placed[call["to"]].append(call)
    return placed


def all_confirmed(message: Message, people: int) -> bool:
    return Delivery.objects.filter(message=message, status=DeliveryStatus.DELIVERED).exclude(
        confirmed_at=None).count() == people  # fmt: skip


def test_every_person_is_called_once_when_the_worker_dies_mid_wave(
    worker: subprocess.Popen, voice_env: FakeProvider
) -> None:
    voice_env.configure(latency=0.4)  # calls.create answers slowly: the kill lands inside some of them
    commune, phones = seed_listeners(PEOPLE)
    message = enqueue(commune)
    wait_until(lambda: 3 <= len(voice_env.calls()) <= PEOPLE - 10, timeout=60, interval=0.02)
    sigkill(worker)
    placed_before = len(voice_env.calls())
    voice_env.configure(latency=0.0)
    replacement = start_worker()
    started = time.monotonic()
    try:
        wait_for_worker(started + 60)
        sweep_until_final(message, timeout=CONFIRMED_WITHIN)
        wait_until(lambda: all_confirmed(message, PEOPLE), timeout=max(1.0, CONFIRMED_WITHIN - (time.monotonic() - started)))
    finally:
        stop(replacement)
    took = time.monotonic() - started
    assert planned(message)
    assert placed_before < PEOPLE, "the worker was killed after the wave"
    placed = calls_per_number(voice_env)
    assert set(placed) == set(phones.values()), f"{len(set(phones.values()) - set(placed))} people never called"
    # Nobody twice, unless every earlier call to the number provably did not connect.
    twice = {to: [c["status"] for c in calls] for to, calls in placed.items()
             if len(calls) > 1 and any(c["status"] not in NOT_CONNECTED for c in calls[:-1])}  # fmt: skip
    assert twice == {}, f"called twice though the first call connected: {twice}"
    assert all(len(calls) == 1 for calls in placed.values()), "these people all answer: one call each"
    assert all(c["digits"] == "1" for calls in placed.values() for c in calls)
    rows = Delivery.objects.filter(message=message)
    assert rows.count() == PEOPLE and set(rows.values_list("channel", flat=True)) == {"voice"}
    assert all_confirmed(message, PEOPLE), "every person confirmed"
    assert took < CONFIRMED_WITHIN
    # Each delivery holds its own call (the SID Twilio gave), none shared.
    sids = list(rows.values_list("provider_id", flat=True))
    assert len(set(sids)) == PEOPLE and {c["sid"] for calls in placed.values() for c in calls} == set(sids)
