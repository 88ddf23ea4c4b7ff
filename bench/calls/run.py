"""Calls benchmark: python bench/calls/run.py --people 2000 --calls-per-second 50 (or `make bench-calls`).

A warning to people who chose voice calls and whose landline the town hall registered: every one is called through
Twilio's SDK (`VOICE_BACKEND=twilio`) against the fake provider, whose simulated people all answer and press 1,
its signed callbacks (status, then the digit) posted to the service under gunicorn. Real PostgreSQL, Redis and
Celery workers (voice queue, planning on the default queue), bench/fanout's processes, fake provider, environment
and database helpers (imported from it). Printed: the time from the enqueue to the last confirmation recorded,
the calls per second the fake received (the most within any one second, its `/_call_rate`, and on average from
the first call to the last) against `CALLS_PER_SECOND`, and each number called exactly once.
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
FANOUT = ROOT / "bench" / "fanout"
SWEEP_SECONDS = 10.0  # the outbox swept as often as beat sweeps it in service (bench/fanout runs no beat)
# bench/fanout first: `run` and `procs` below are its modules (this file is __main__, never `run`).
sys.path[:0] = [str(ROOT), str(FANOUT)]

import procs  # noqa: E402
import run as fanout  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000, help="people called, each on a registered landline")
    parser.add_argument("--calls-per-second", type=int, default=50, help="CALLS_PER_SECOND for the run")
    parser.add_argument("--voice-workers", type=int, default=2, help="voice-queue worker processes (pool size)")
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers answering Twilio's callbacks")
    parser.add_argument("--database", default="vig_bench_calls")
    parser.add_argument("--redis-db", type=int, default=10,
                        help="flushed at the start of the wave; its own: another flush ends the call rate's holds")
    parser.add_argument("--port", type=int, default=8794, help="the fake provider's")
    parser.add_argument("--web-port", type=int, default=8793, help="the service's (gunicorn)")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    args.sms_rate = 10  # bench_env's; no SMS here
    return args


def main() -> None:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="bench-calls-"))
    account = workdir / "service-account.json"
    fake = procs.start_fake(args.port, account, callbacks=True)
    env = {**procs.bench_env(args, f"http://127.0.0.1:{args.port}", account), "VOICE_BACKEND": "twilio",
           "CALLS_PER_SECOND": str(args.calls_per_second), "PUBLIC_BASE_URL": f"http://127.0.0.1:{args.web_port}",
           "ALLOWED_HOSTS": "127.0.0.1,localhost"}  # fmt: skip
    started: list[subprocess.Popen] = []
    try:
        fanout.create_database(args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        fanout.setup_django(env)
        commune = seed(args.people)
        started.append(web(args, env, workdir / "gunicorn.log"))
        report(args, run_wave(args, env, commune, started))
    finally:
        for process in started:
            procs.stop(process)
        procs.stop(fake)


def seed(people: int) -> object:
    """A commune, and `people` residents who chose voice calls, each with a landline the town hall registered
    (consent recorded). Fixed numbers: a second run deletes the first's people."""
    from django.utils import timezone

    from accounts.models import User
    from communes.models import Commune, Membership
    from notifications.models import Landline, Message

    t0 = time.monotonic()
    commune, _ = Commune.objects.get_or_create(
        insee="99801", type="COM", defaults={"name": "Appel-sur-Banc", "departement": "99", "enrolled": True})
    Message.objects.filter(commune=commune).delete()
    User.objects.filter(phone__startswith="+33650").delete()
    users = User.objects.bulk_create(
        User(phone=f"+33650{i:06d}", preferences={"channels": ["voice"], "categories": None, "quiet_hours": None})
        for i in range(people)
    )  # fmt: skip
    Membership.objects.bulk_create(Membership(user=u, commune=commune, status="approved", address="x") for u in users)
    now = timezone.now()
    Landline.objects.bulk_create(Landline(user=u, phone=f"+33150{i:06d}", consent_at=now, consent_note="bench")
                                 for i, u in enumerate(users))  # fmt: skip
    print(f"seeded {people} people with landlines in {time.monotonic() - t0:.1f}s")
    return commune


def web(args: argparse.Namespace, env: dict[str, str], log: Path) -> subprocess.Popen:
    """The service under gunicorn: Twilio's callbacks come here."""
    command = [str(Path(sys.executable).with_name("gunicorn")), "vigilants.wsgi", "--bind",
               f"127.0.0.1:{args.web_port}", "--workers", str(args.web_workers), "--log-level", "warning",
               "--backlog", "2048"]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.web_port}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start (see {log})")


def run_wave(args: argparse.Namespace, env: dict[str, str], commune: object, started: list) -> dict:
    import redis
    from django.db import transaction
    from django.db.models import Max, Min

    from notifications.models import Delivery, MessageKind
    from notifications.services import message_enqueue
    from notifications.sweeper import sweep_outbox
    from vigilants.celery import app

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    started += [procs.start_worker(env, "voice", args.voice_workers, "voice"),
                procs.start_worker(env, "default", 1, "default")]  # fmt: skip
    while len(app.control.ping(timeout=1.0)) < 2:
        pass
    t0, wall0 = time.monotonic(), time.time()
    with transaction.atomic():
        message = message_enqueue(commune=commune, kind=MessageKind.BROADCAST, title="Vigilance rouge crues",
                                  body="Crue majeure attendue : éloignez-vous des cours d'eau.", urgent=True,
                                  channels=["voice"])  # fmt: skip
    calls = Delivery.objects.filter(message=message, channel="voice")
    sweeps, swept = 0, time.monotonic()
    while time.monotonic() - t0 < args.timeout:
        if calls.exclude(confirmed_at=None).count() >= args.people:
            break
        time.sleep(0.5)
        if time.monotonic() - swept >= SWEEP_SECONDS:  # as beat runs it in service: calls whose rate was not
            sweep_outbox()  # granted in time are published again by the sweeper
            sweeps, swept = sweeps + 1, time.monotonic()
    waited = time.monotonic() - t0
    span = calls.aggregate(first=Min("sent_at"), last=Max("sent_at"), confirmed=Max("confirmed_at"))
    placed = fake_get(args.port, "/_calls")
    arrivals = sorted(c["at"] for c in placed)
    return {
        "waited": waited, "rows": calls.count(), "confirmed": calls.exclude(confirmed_at=None).count(),
        "delivered": calls.filter(status="delivered").count(),
        "last_confirmation": span["confirmed"].timestamp() - wall0 if span["confirmed"] else float("nan"),
        "first_call": arrivals[0] - wall0 if arrivals else float("nan"),
        "last_call": arrivals[-1] - wall0 if arrivals else float("nan"),
        "rate": fake_get(args.port, "/_call_rate"), "numbers": len({c["to"] for c in placed}),
        "to_landlines": sum(c["to"].startswith("+33150") for c in placed), "sweeps": sweeps,
    }  # fmt: skip


def fake_get(port: int, path: str) -> object:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
        return json.load(answer)


def report(args: argparse.Namespace, r: dict) -> None:
    count = r["rate"]["count"]
    span = r["last_call"] - r["first_call"]
    average = (count - 1) / span if span > 0 else float("nan")
    print(f"{args.people} people with landlines, CALLS_PER_SECOND={args.calls_per_second}, "
          f"{args.voice_workers} voice worker processes, gunicorn x{args.web_workers} for the callbacks")  # fmt: skip
    print(f"  last confirmation recorded after {r['last_confirmation']:.1f}s "
          f"(the floor at this rate: {args.people / args.calls_per_second:.1f}s of calls placed)")  # fmt: skip
    print(f"  calls placed {count}: first after {r['first_call']:.1f}s, last after {r['last_call']:.1f}s, "
          f"{average:.1f}/s on average, at most {r['rate']['most_in_one_second']} within any one second "
          f"(limit {args.calls_per_second})")  # fmt: skip
    print(f"  numbers called {r['numbers']} ({r['to_landlines']} calls to the landlines), each exactly once: "
          f"{count == r['numbers'] == args.people}")  # fmt: skip
    print(f"  deliveries {r['rows']}, answered {r['delivered']}, confirmed {r['confirmed']}"
          + ("" if r["confirmed"] >= args.people else f" (timed out after {r['waited']:.0f}s)")
          + f"; outbox swept {r['sweeps']} times")


if __name__ == "__main__":
    main()
