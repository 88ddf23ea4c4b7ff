"""The recovery drill: back up a database with an outbox half sent, restore it into a new database, start the
service on it, and the outbox resumes exactly once.

The disaster is total: the machine, its PostgreSQL and its Redis are gone. The backup is restored into a
database that did not exist, Redis starts empty, and a worker and beat (the sweeper) are started on the
restored database, with the SDKs pointed at the fake provider. Every member whose push was still pending
gets it once; nobody already served gets it again; every table has the rows it had when the backup was made.

It prints how long the backup, the restore and the resumption took, for the figures in docs/operations.md.
"""

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from alerts.models import Alert
from audit.models import AuditEntry
from communes.models import Commune, Membership
from continuity.databases import table_counts
from continuity.manifest import Manifest, manifest_path
from fakeprovider import FakeProvider, write_service_account
from notifications.models import (
    ACTIVE_DELIVERY_STATUSES,
    Delivery,
    DeliveryStatus,
    Device,
    Message,
    MessageKind,
    MessageSource,
    MessageStatus,
)
from notifications.services import message_enqueue
from tests.factories import CommuneFactory
from tests.integration.conftest import ROOT, start_worker, stop, wait_for_worker, wait_until

from .conftest import database_url, manage

pytestmark = pytest.mark.integration

BATCH = 5_000


@dataclass
class Seeded:
    served: set[str]  # tokens whose push the provider accepted before the backup
    waiting: set[str]  # tokens whose push was still pending


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider(port=0)
    provider.start()
    yield provider
    provider.stop()


def seed(members: int, served: int) -> Seeded:
    """A commune, `members` members with a device, an approved alert and its message, planned, of which the
    first `served` deliveries were sent and the others are pending (half of them published to the broker that
    is lost with the machine, half never published yet)."""
    commune = CommuneFactory.create(name="Vigie-sur-Reprise")
    users = User.objects.bulk_create(
        (User(phone=f"+3362{i:07d}", preferences={"channels": ["push"], "categories": None, "quiet_hours": None})
         for i in range(members)), batch_size=BATCH,
    )  # fmt: skip
    memberships = Membership.objects.bulk_create(
        (Membership(user=u, commune=commune, status="approved", address="x") for u in users), batch_size=BATCH
    )
    tokens = [f"drill-{u.pk}-{'t' * 40}" for u in users]
    Device.objects.bulk_create((Device(user=u, fcm_token=t, platform="android") for u, t in zip(users, tokens, strict=True)),
                               batch_size=BATCH)  # fmt: skip
    message = approved_alert_message(commune)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.PLANNED, planned_at=timezone.now(),
                                                 plan_cursor=memberships[-1].pk)  # fmt: skip
    Delivery.objects.bulk_create((delivery(message, u, i, served) for i, u in enumerate(users)), batch_size=BATCH)
    return Seeded(served=set(tokens[:served]), waiting=set(tokens[served:]))


def approved_alert_message(commune: Commune) -> Message:
    alert = Alert.objects.create(commune=commune, category="cambriolage", description="Porte fracturée rue des Lilas.",
                                 occurred_at=timezone.now(), status="approved")  # fmt: skip
    AuditEntry.objects.create(commune=commune, action="alert.approve", object_type="alert", object_id=str(alert.pk))
    with transaction.atomic():
        return message_enqueue(commune=commune, kind=MessageKind.ALERT, title="Cambriolage",
                               body=alert.description, urgent=True, source_type=MessageSource.ALERT,
                               source_id=alert.pk)  # fmt: skip


def delivery(message: Message, user: User, index: int, served: int) -> Delivery:
    now = timezone.now()
    if index < served:
        return Delivery(message=message, user=user, channel="push", status=DeliveryStatus.SENT, attempts=1, dispatched_at=now,
                        sent_at=now, finished_at=now, provider_id=f"projects/drill/messages/{index}")  # fmt: skip
    published = now - timedelta(hours=1) if index % 2 else None
    return Delivery(message=message, user=user, channel="push", dispatched_at=published)


def counts_in(url: str, tables: list[str]) -> dict[str, int]:
    """Row counts read straight from PostgreSQL, apart from the code under test."""
    with psycopg.connect(url) as restored:
        return {t: count_of(restored.execute(f'SELECT count(*) FROM "{t}"').fetchone()) for t in tables}  # noqa: S608


def count_of(row: tuple[int, ...] | None) -> int:
    """A `SELECT count(*)` always answers one row."""
    assert row is not None
    return row[0]


def timed(*args: str, database_url: str) -> tuple[float, str]:
    started = time.monotonic()
    result = manage(*args, database_url=database_url)
    assert result.returncode == 0, result.stderr
    return time.monotonic() - started, result.stdout


def service_env(url: str, fake: FakeProvider, tmp_path: Path) -> dict[str, str]:
    account = write_service_account(tmp_path / "service-account.json", fake.url)
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL, "DEBUG": "true", "LOG_LEVEL": "WARNING",
            "PUSH_BACKEND": "fcm", "FIREBASE_CREDENTIALS": str(account), "FCM_API_BASE_URL": fake.url}  # fmt: skip


def start_beat(env: dict[str, str], tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "celery", "-A", "vigilants", "beat", "-s", str(tmp_path / "beat-schedule"), "-l", "WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip


def resume(url: str, fake: FakeProvider, tmp_path: Path) -> float:
    """Start a worker and beat on the restored database, Redis empty; wait until nothing is left to send."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the broker's queues were lost with the machine
    started = time.monotonic()
    env = service_env(url, fake, tmp_path)
    worker, beat = start_worker(env=env), start_beat(env, tmp_path)
    try:
        wait_for_worker(time.monotonic() + 60)
        wait_until(lambda: active_deliveries(url) == 0, timeout=240, interval=0.5)
    finally:
        stop(beat)
        stop(worker)
    return time.monotonic() - started


def active_deliveries(url: str) -> int:
    with psycopg.connect(url) as restored:
        query = "SELECT count(*) FROM notifications_delivery WHERE status = ANY(%s)"
        return count_of(restored.execute(query, [[str(s) for s in ACTIVE_DELIVERY_STATUSES]]).fetchone())


def statuses(url: str) -> Counter:
    with psycopg.connect(url) as restored:
        return Counter(dict(restored.execute("SELECT status, count(*) FROM notifications_delivery GROUP BY status")))


def say(capsys: pytest.CaptureFixture, line: str) -> None:
    with capsys.disabled():
        sys.stdout.write(f"\n[recovery drill] {line}\n")


@pytest.mark.parametrize(("members", "served", "with_communes"), [(60, 20, False), (20_000, 10_000, True)],
                         ids=["seeded", "20000-members"])  # fmt: skip
def test_a_restored_backup_resumes_the_outbox_exactly_once(
    transactional_db: None, fake: FakeProvider, fresh_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture,
    members: int, served: int, with_communes: bool,
) -> None:  # fmt: skip
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("the drill needs PostgreSQL and REDIS_URL (make test sets them)")
    if with_communes:
        call_command("import_communes", stdout=StringIO())  # the reference table a real database carries
    seeded = seed(members, served)
    source = table_counts(connection)
    dump = tmp_path / "drill.dump"

    backup_seconds, _ = timed("backup", "--output", str(dump), database_url=database_url(connection.settings_dict["NAME"]))
    restore_seconds, report = timed("restore", str(dump), "--database-url", fresh_database_url, database_url=fresh_database_url)
    assert counts_in(fresh_database_url, list(source)) == source, "a table lost or gained rows"
    assert "Nombres de lignes identiques au manifeste" in report
    assert "No migrations to apply." in manage("migrate", "--noinput", database_url=fresh_database_url).stdout
    resume_seconds = resume(fresh_database_url, fake, tmp_path)

    pushes = Counter(p["token"] for p in fake.pushes())
    assert set(pushes) == seeded.waiting and set(pushes.values()) == {1}, "a pending push was lost or sent twice"
    assert statuses(fresh_database_url) == {DeliveryStatus.SENT: members}
    assert counts_in(fresh_database_url, list(source)) == source
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == members - served  # the source as it was
    say(capsys, f"{members} members, {sum(source.values())} rows, dump {dump.stat().st_size / 1e6:.1f} MB: "
                f"backup {backup_seconds:.1f} s ({own_seconds(dump, report)[0]} s in the command), restore "
                f"{restore_seconds:.1f} s ({own_seconds(dump, report)[1]} s in the command); the restored service "
                f"sent the {members - served} pending pushes in {resume_seconds:.1f} s")  # fmt: skip


def own_seconds(dump: Path, restore_report: str) -> tuple[float, float]:
    """What the commands measured themselves, without the interpreter's start (about a second here)."""
    restored = re.search(r"vérifiée en ([\d,]+) s", restore_report)
    return Manifest.read(manifest_path(dump)).seconds, float(restored.group(1).replace(",", ".")) if restored else -1.0
