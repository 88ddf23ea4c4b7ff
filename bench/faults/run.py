"""Faults at 10,000 members: python bench/faults/run.py --members 10000 [--fault kill|lost-queue|both].

Real PostgreSQL (database vig_bench_faults), Redis (db 12), Celery workers and beat, the SDKs against the fake
provider (bench/fanout's processes). One broadcast to every member, then:
- kill: every push worker process SIGKILLed once a tenth of the phones got the push (calls in flight, claims
  taken), a new one started at once;
- lost-queue: the send tasks wait in their queues (no push/SMS worker), the broker's database is flushed (what a
  Redis restart without persistence does), then workers start.
Prints, from the fake provider's count of what each phone shows (pushes under one tag replace each other):
members shown once, shown twice, never, and the time from the fault to the last member shown.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "fanout")]

import procs  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--fault", default="both", choices=("kill", "lost-queue", "both"))
    parser.add_argument("--sms-ratio", type=float, default=0.1)
    parser.add_argument("--sms-rate", type=int, default=200)
    parser.add_argument("--database", default="vig_bench_faults")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--latency", type=float, default=0.2, help="the provider's answer time, so a kill lands mid-call")
    parser.add_argument("--timeout", type=float, default=300)
    return parser.parse_args()


def shown(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_shown", timeout=30) as answer:
        return json.load(answer)


def control(port: int, payload: dict) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_control", data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - loopback


def start_services(env: dict[str, str], workdir: Path, senders: bool) -> list[subprocess.Popen]:
    """A planning worker, beat (the sweeper every 10 s, as in production) and, if asked, push and SMS workers."""
    beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "vigilants", "beat", "-l", "WARNING",
                             "-s", str(workdir / "beat-schedule")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # fmt: skip
    services = [beat, procs.start_worker(env, "default", 1, "default")]
    if senders:
        services += start_senders(env)
    return services


def start_senders(env: dict[str, str]) -> list[subprocess.Popen]:
    return [procs.start_worker(env, "push", 2, "push"), procs.start_worker(env, "sms", 1, "sms")]


def sigkill(process: subprocess.Popen) -> None:
    """The worker and its pool processes at once, as an OOM killer or a lost machine would."""
    import contextlib
    import os
    import signal

    for pid in procs.family(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def enqueue(commune: object) -> object:
    from django.db import transaction

    from notifications.services import message_enqueue

    with transaction.atomic():
        return message_enqueue(commune=commune, kind="broadcast", title="Alerte", body="Restez vigilants.",
                               urgent=True, source_type="broadcast", source_id=int(time.time()))  # fmt: skip


def count(port: int, tokens: set[str], phones: set[str]) -> tuple[dict[str, int], float]:
    """Members shown once, twice or more, never (push and SMS each count), and when the last was shown."""
    seen = shown(port)
    tally = {"once": 0, "twice or more": 0, "never": 0}
    last = 0.0
    for book, wanted in ((seen["push"], tokens), (seen["sms"], phones)):
        for key in wanted:
            row = book.get(key)
            n = row["shown"] if row else 0
            tally["once" if n == 1 else "never" if n == 0 else "twice or more"] += 1
            last = max(last, row["first_at"] if row else 0.0)
    return tally, last


def run_fault(args: argparse.Namespace, fault: str, env: dict[str, str], workdir: Path) -> None:
    import redis

    from notifications.models import Device

    commune = seed_once(args)
    tokens = set(Device.objects.filter(user__memberships__commune=commune).values_list("fcm_token", flat=True))
    phones = set(commune.memberships.filter(user__preferences__channels__contains=["sms"])
                 .values_list("user__phone", flat=True))  # fmt: skip
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    control(args.port, {"reset": True, "latency": args.latency})
    services = start_services(env, workdir, senders=fault == "kill")
    try:
        message = enqueue(commune)
        fault_at = cause(args, fault, env, services)
        settled = wait_all(args, message, tokens, phones)
        tally, last = count(args.port, tokens, phones)
        print(f"{fault}: {len(tokens)} phones, {len(phones)} SMS numbers: shown once {tally['once']}, "
              f"twice or more {tally['twice or more']}, never {tally['never']}; last shown "
              f"{max(last - fault_at, 0):.1f} s after the fault ended, every delivery final after "
              f"{settled - fault_at:.1f} s; {resent(message)}", flush=True)  # fmt: skip
    finally:
        for process in services:
            procs.stop(process)


def cause(args: argparse.Namespace, fault: str, env: dict[str, str], services: list[subprocess.Popen]) -> float:
    """Make the fault happen; returns (time.time()) when it ended."""
    import redis

    if fault == "kill":
        wait_for_pushes(args.port, args.members // 10)  # mid-fan-out: calls in flight, claims taken
        push = services[2]
        sigkill(push)
        control(args.port, {"latency": 0.0})
        services[2] = procs.start_worker(env, "push", 2, "push")
        return time.time()
    time.sleep(3.0)  # planning publishes the send tasks; nobody consumes them
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    control(args.port, {"latency": 0.0})
    services += start_senders(env)
    return time.time()


def wait_for_pushes(port: int, count: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(shown(port)["push"]) < count:
        time.sleep(0.05)


def wait_all(args: argparse.Namespace, message: object, tokens: set[str], phones: set[str]) -> float:
    """Until every member was shown and every delivery is final (a dead worker's claims decided: resent under
    their tag, or checked); returns when (time.time()) the last delivery became final."""
    from notifications.models import ACTIVE_DELIVERY_STATUSES, Delivery

    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        seen = shown(args.port)
        active = Delivery.objects.filter(message=message, status__in=ACTIVE_DELIVERY_STATUSES).exists()
        if tokens <= set(seen["push"]) and phones <= set(seen["sms"]) and not active:
            settled = time.time()
            time.sleep(3.0)  # a late duplicate would still be counted
            return settled
        time.sleep(1.0)
    return time.time()


def resent(message: object) -> str:
    from django.db.models import Count

    from notifications.models import Delivery

    rows = Delivery.objects.filter(message=message, attempts__gt=1).values("channel").annotate(n=Count("id"))
    again = {row["channel"]: row["n"] for row in rows}
    return f"sent again (same tag) {again.get('push', 0)} pushes, SMS retried {again.get('sms', 0)}"


_SEEDED: list[object] = []


def seed_once(args: argparse.Namespace) -> object:
    from seed import seed

    if not _SEEDED:
        _SEEDED.append(seed(args.members, args.sms_ratio))
    return _SEEDED[0]


def prepare(database: str, env: dict[str, str]) -> None:
    from run import create_database, setup_django  # bench/fanout/run.py

    create_database(database)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    setup_django(env)


def main() -> None:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    account = workdir / "service-account.json"
    fake = procs.start_fake(args.port, account)
    env = {**procs.bench_env(args, f"http://127.0.0.1:{args.port}", account), "NOTIFICATIONS_LEASE_SECONDS": "30"}
    try:
        prepare(args.database, env)
        for fault in (("kill", "lost-queue") if args.fault == "both" else (args.fault,)):
            run_fault(args, fault, env, workdir)
    finally:
        procs.stop(fake)


if __name__ == "__main__":
    main()
