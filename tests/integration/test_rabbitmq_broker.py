"""Celery on RabbitMQ (CELERY_BROKER_URL), Redis staying the cache: quorum queues, retries by native delayed
delivery, the same fan-out shown once. Each run gets a vhost of its own on the machine's RabbitMQ."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

from fakeprovider import FakeProvider
from notifications.models import Delivery, Message

from .conftest import ROOT, start_worker, stop, wait_until, worker_env
from .fanout import all_final, assert_shown_once, planned, seed

pytestmark = [pytest.mark.integration, pytest.mark.rabbitmq]

ENQUEUE = """
from django.db import transaction
from communes.models import Commune
from notifications.services import message_enqueue
with transaction.atomic():
    m = message_enqueue(commune=Commune.objects.get(pk={pk}), kind="broadcast", title="Crue", body="Montez.",
                        urgent=True, source_type="broadcast", source_id=7)
print(m.pk)
"""


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)  # noqa: S607


@pytest.fixture
def vhost() -> Iterator[str]:
    name = f"vigilants-test-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        rabbitmqctl("delete_vhost", name)


def test_a_fan_out_over_rabbitmq_quorum_queues_is_shown_once_through_provider_refusals(
    provider_env: FakeProvider, vhost: str, transactional_db: None
) -> None:
    env = {**worker_env(), **{k: v for k, v in os.environ.items() if k.startswith(("TWILIO", "FCM", "FIREBASE",
           "SMS_", "PUSH_", "PUBLIC_", "NOTIFICATIONS_"))}, "CELERY_BROKER_URL": vhost}  # fmt: skip
    commune, tokens, phones = seed(200)
    provider_env.fail(503, service="fcm", count=40)  # retried by countdown: native delayed delivery on quorum queues
    worker = start_worker(env=env)
    try:
        started = time.monotonic()
        out = subprocess.run([sys.executable, "manage.py", "shell", "-c", ENQUEUE.format(pk=commune.pk)], cwd=ROOT,
                             env=env, check=True, capture_output=True, text=True, timeout=60)  # fmt: skip

        msg = Message.objects.get(pk=int(out.stdout.strip().splitlines()[-1]))
        wait_until(lambda: planned(msg) and all_final(msg), timeout=90, interval=0.5)
        print(f"\nRabbitMQ: 200 members shown once in {time.monotonic() - started:.1f} s", flush=True)
    finally:
        stop(worker)
    assert_shown_once(provider_env, msg, tokens, phones)
    assert Delivery.objects.filter(message=msg, attempts__gt=1).exists()  # the refusals were retried
