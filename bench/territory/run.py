"""Territory benchmark: python bench/territory/run.py --communes 300 --people 200000 (or `make bench-territory`).

One warning to a whole département: its communes (the real ones of the shipped reference data, the most populous
first), enrolled, and people spread over them by population, members with a push device, some choosing SMS, some
following one or two neighbouring communes too. Two ways of sending it, each on fresh workers and a fresh fake
provider: one public message per commune (what each mayor sending their own broadcast amounts to, the baseline),
and the territory's one warning over every commune (risks.territory.area_warning_issue, when the service has it).
Each prints the time to the last phone per channel and the cost of each stage. Everything else is bench/fanout's
and bench/followers' (processes, fake provider, environment, people, waiting, reading what phones show), imported
from them: see bench/territory/README.md.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FANOUT, FOLLOWERS = ROOT / "bench" / "fanout", ROOT / "bench" / "followers"
# bench/fanout first: `run`, `procs` and `seed` are its modules (this file is __main__, never `run`).
sys.path[:0] = [str(ROOT), str(FANOUT), str(FOLLOWERS), str(Path(__file__).resolve().parent)]

import procs  # noqa: E402
import run as fanout  # noqa: E402


def _module(name: str, path: Path) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


followers = _module("followers_run", FOLLOWERS / "run.py")
NAMES = ("push", "sms", "default")
TITLE, BODY = "Crue de la Loire", "Crue majeure attendue : éloignez-vous des cours d'eau."


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departement", default="58", help="a département with at least --communes communes (58: "
                        "Nièvre, 309 communes, 207,182 inhabitants)")  # fmt: skip
    parser.add_argument("--communes", type=int, default=300)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--sms-ratio", type=float, default=0.1, help="share of people who chose SMS too")
    parser.add_argument("--follow-ratio", type=float, default=0.2, help="share following one or two neighbouring "
                        "communes besides their own")  # fmt: skip
    parser.add_argument("--sms-rate", type=int, default=200, help="SMS_MAX_PER_SECOND for the run")
    parser.add_argument("--push-workers", type=int, default=2, help="push-queue worker processes (pool size)")
    parser.add_argument("--planning-workers", type=int, default=1, help="default-queue processes (planning)")
    parser.add_argument("--mode", default="both", choices=("both", "area", "per-commune"))
    parser.add_argument("--red", action="store_true", help="a red warning (orange otherwise): SMS to every number, "
                        "whatever was chosen (--people / --sms-rate seconds of SMS)")  # fmt: skip
    parser.add_argument("--database", default="vig_terr_bench")
    parser.add_argument("--redis-db", type=int, default=12, help="flushed at the start of each warning")
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--fcm-transport", default="curl", choices=("curl", "fast", "sdk"))
    return parser.parse_args()


def main() -> None:
    args = parse()
    account = Path(tempfile.mkdtemp(prefix="bench-territory-")) / "service-account.json"
    fanout.fresh_fake(args.port, account)
    env = procs.bench_env(args, f"http://127.0.0.1:{args.port}", account)
    load = uptime()
    try:
        fanout.create_database(args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        fanout.setup_django(env)
        towns, people = seed(args)
        results = {}
        for mode in modes(args):
            fanout.fresh_fake(args.port, account)
            results[mode] = run_phase(args, env, towns, mode)
            report(args, mode, results[mode])
        compare(results)
        print(f"\nload average: {load} at the start, {uptime()} at the end (2 cores, shared); people: {people}")
    finally:
        procs.stop(fanout.FAKE[0])


def uptime() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def modes(args: argparse.Namespace) -> list[str]:
    return ["per-commune", "area"] if args.mode == "both" else [args.mode]


def seed(args: argparse.Namespace) -> tuple[list[object], dict[str, int]]:
    import territory_seed

    started = time.monotonic()
    towns = territory_seed.towns_of(args.departement, args.communes)
    people = territory_seed.seed(towns, args.people, args.sms_ratio, args.follow_ratio)
    print(f"{len(towns)} communes of the département {args.departement}, {people} in {time.monotonic() - started:.1f}s")
    return towns, people


def forget_previous_warnings() -> None:
    """Every message and delivery of earlier runs (this database is the benchmark's own), then what autovacuum
    would do before the next warning."""
    from django.db import connection

    from notifications.models import Message

    with connection.cursor() as cursor:
        # Emptied to the file, indexes included, so that the sizes printed after the warning are its rows' alone
        # (a DELETE leaves the indexes at their largest). No table refers to deliveries.
        cursor.execute("TRUNCATE notifications_delivery")
    for model in warning_models():
        model.objects.all().delete()
    Message.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_delivery, notifications_message")


def warning_models() -> list[type]:
    from risks.models import AreaWarning, RiskWarning

    return [RiskWarning, AreaWarning]


def content(args: argparse.Namespace) -> object:
    """The warning's words: orange (urgent, by the channels each person chose), or red with --red (every channel)."""
    from datetime import timedelta

    from django.utils import timezone

    from risks.models import Level
    from risks.services import Content

    return Content(hazard="flood", level=Level.RED if args.red else Level.ORANGE, title=TITLE, description=BODY,
                   instruction="Ne prenez pas votre voiture.", expires_at=timezone.now() + timedelta(hours=12))  # fmt: skip


def send_per_commune(towns: list[object], args: argparse.Namespace) -> None:
    """The baseline: each commune's own warning (risks.services.warning_issue), as many mayors each sending
    theirs would, in one transaction; each is planned as its own job."""
    from django.db import transaction

    from risks.services import warning_issue

    words, actor = content(args).as_fields(), operator(args.departement)
    with transaction.atomic():
        for town in towns:
            warning_issue(commune=town, actor=actor, **words)


def send_area(towns: list[object], args: argparse.Namespace) -> None:
    """The territory's one warning over every commune, sent by an operator of the département."""
    from risks.territory import area_warning_issue

    area_warning_issue(communes=towns, content=content(args), actor=operator(args.departement))


def operator(departement: str) -> object:
    from accounts.models import User
    from communes.models import TerritoryKind, TerritoryOperator

    user, _ = User.objects.get_or_create(phone="+33612000000")
    TerritoryOperator.objects.get_or_create(user=user, kind=TerritoryKind.DEPARTEMENT, code=departement)
    return user


SENDERS: dict[str, Callable[[list[object], argparse.Namespace], None]] = {
    "per-commune": send_per_commune, "area": send_area}  # fmt: skip


def start_workers(args: argparse.Namespace, env: dict[str, str]) -> list[subprocess.Popen]:
    workers = [procs.start_worker(env, "push", args.push_workers, "push"), procs.start_worker(env, "sms", 1, "sms"),
               procs.start_worker(env, "default", args.planning_workers, "default")]  # fmt: skip
    from vigilants.celery import app

    while len(app.control.ping(timeout=1.0)) < len(workers):
        pass
    return workers


def run_phase(args: argparse.Namespace, env: dict[str, str], towns: list[object], mode: str) -> dict:
    import redis

    from notifications.models import Message

    forget_previous_warnings()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    workers = start_workers(args, env)
    sampler = Sampler(env["REDIS_URL"], args.database)
    try:
        cpu_before = cpu_now(workers)
        requests_before, steal = procs.provider_count(args.port), procs.steal_seconds()
        last_id = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        sampler.start()
        load = uptime()
        t0, wall0 = time.monotonic(), time.time()
        SENDERS[mode](towns, args)
        sent_after = time.time() - wall0
        ids = list(Message.objects.filter(pk__gt=last_id).values_list("pk", flat=True))
        done = followers.wait_final(ids, t0, args.timeout)
        cpu = {k: v - cpu_before[k] for k, v in cpu_now(workers).items()}
        cpu["postgres"] = sampler.database_cpu
        peaks = {name: procs.peak_memory_mb(w.pid) for name, w in zip(NAMES, workers, strict=True)}
    finally:
        sampler.stop()
        for worker in workers:
            procs.stop(worker)
    return {**measure(ids, wall0, done, args.port), "cpu": cpu, "peaks": peaks, "messages": len(ids),
            "sent_after": sent_after, "requests": procs.provider_count(args.port) - requests_before,
            "steal": procs.steal_seconds() - steal, "redis": sampler.redis_peak, "queues": sampler.queue_peak,
            "connections": sampler.connections_peak, "tables": table_sizes(), "load": (load, uptime())}  # fmt: skip


def cpu_now(workers: list[subprocess.Popen]) -> dict[str, float]:
    each = {name: procs.tree_cpu(w.pid) for name, w in zip(NAMES, workers, strict=True)}
    return {**each, "fake": procs.cpu_seconds([fanout.FAKE_PID[0]])}



def measure(ids: list[int], wall0: float, done: set[str], port: int) -> dict:
    """What the deliveries and the fake provider say: statuses, stamps, what each phone and number received."""
    from django.db.models import Count, Max, Min
    from django.db.models.functions import Coalesce

    from notifications.models import Delivery, Message

    seen = followers.shown(port)
    rows = Delivery.objects.filter(message_id__in=ids)
    by_channel = {c: dict(rows.filter(channel=c).values_list("status").annotate(n=Count("id"))) for c in ("push", "sms")}
    spans = {c: rows.filter(channel=c).aggregate(first=Min("sent_at"), last=Max(Coalesce("finished_at", "sent_at")))
             for c in ("push", "sms")}  # fmt: skip
    planned = Message.objects.filter(pk__in=ids).aggregate(last=Max("planned_at"))["last"]
    return {"done": done, "by_channel": by_channel,
            "stamped": {c: (s["first"].timestamp() - wall0 if s["first"] else float("nan"),
                            s["last"].timestamp() - wall0 if s["last"] else float("nan")) for c, s in spans.items()},
            "planned_after": planned.timestamp() - wall0 if planned else float("nan"),
            "last": {c: max((p["last_at"] for p in seen[c].values()), default=float("nan")) - wall0 for c in ("push", "sms")},
            "reached": {c: len(seen[c]) for c in ("push", "sms")},
            "twice": {c: sum(p["received"] > 1 for p in seen[c].values()) for c in ("push", "sms")},
            "extra": {c: sum(p["received"] - 1 for p in seen[c].values()) for c in ("push", "sms")}}  # fmt: skip


def table_sizes() -> dict[str, float]:
    """notifications_delivery as this warning left it: rows, heap and index bytes, mean row width."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), avg(pg_column_size(d.*)) FROM notifications_delivery d")
        rows, width = cursor.fetchone()
        cursor.execute("SELECT pg_relation_size('notifications_delivery'), pg_indexes_size('notifications_delivery'),"
                       " pg_total_relation_size('notifications_delivery')")  # fmt: skip
        heap, indexes, total = cursor.fetchone()
    return {"rows": rows, "width": float(width or 0), "heap": heap, "indexes": indexes, "total": total}


class Sampler(threading.Thread):
    """Twice a second: the memory of the broker's keys (this run's Redis database only: the server is shared), the
    longest queue, the connections to the benchmark database (peaks), and each of its backends' CPU.

    The backends' CPU is read while they live: connections older than CONN_MAX_AGE (60 s) are closed between
    tasks and new ones opened, and a reading at the end alone would miss what the closed ones used."""

    def __init__(self, redis_url: str, database: str) -> None:
        super().__init__(daemon=True)
        self.redis_url, self.database, self.running = redis_url, database, True
        self.redis_peak, self.queue_peak, self.connections_peak = 0, dict.fromkeys(NAMES, 0), 0
        self.backends: dict[int, float] = {}  # pid: CPU seconds when last seen
        self.backends_before = dict(self._backends())

    def _backends(self) -> list[tuple[int, float]]:
        return [(pid, procs.cpu_seconds([pid])) for pid in fanout.backend_pids(self.database)]

    @property
    def database_cpu(self) -> float:
        self.backends.update(self._backends())
        return sum(cpu - self.backends_before.get(pid, 0.0) for pid, cpu in self.backends.items())

    def run(self) -> None:
        import psycopg
        import redis

        client = redis.Redis.from_url(self.redis_url)
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            while self.running:
                self.redis_peak = max(self.redis_peak, sum(client.memory_usage(k) or 0 for k in client.keys("*")))
                for name in NAMES:
                    self.queue_peak[name] = max(self.queue_peak[name], client.llen(name))
                row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.database]).fetchone()
                self.connections_peak = max(self.connections_peak, row[0])
                self.backends.update(self._backends())
                time.sleep(0.5)

    def stop(self) -> None:
        self.running = False
        if self.is_alive():
            self.join(timeout=5)


def report(args: argparse.Namespace, mode: str, r: dict) -> None:
    push_n, sms_n = (sum(r["by_channel"][c].values()) for c in ("push", "sms"))
    what = ("each commune's own warning (one message each)" if mode == "per-commune"
            else "one warning over every commune (the mayors' notices, then one public message)")  # fmt: skip
    print(f"\n== {mode}: {what}; {r['messages']} messages written in {r['sent_after']:.1f}s "
          f"({args.communes} communes, {args.people} people)")
    print(f"deliveries: push {push_n} {r['by_channel']['push']}; sms {sms_n} {r['by_channel']['sms']}")
    print(f"phones reached {r['reached']['push']}, of which more than once {r['twice']['push']} ({r['extra']['push']} "
          f"extra pushes); numbers texted {r['reached']['sms']}, more than once {r['twice']['sms']} ({r['extra']['sms']}"
          " extra SMS)")  # fmt: skip
    tokens = r["requests"] - push_n - sms_n
    print(f"provider requests: {r['requests']} = {push_n + sms_n} deliveries + {tokens} OAuth token requests "
          f"({'one per delivery' if 0 <= tokens <= args.push_workers else 'NOT one per delivery'})")
    print(f"time to the last phone (the fake accepted the last request): push {r['last']['push']:.1f}s, "
          f"SMS {r['last']['sms']:.1f}s; the workers' stamps: push final after {r['stamped']['push'][1]:.1f}s, "
          f"SMS {r['stamped']['sms'][1]:.1f}s")  # fmt: skip
    stages(r, push_n, sms_n)
    from django.conf import settings

    price = float(settings.SMS_SEGMENT_PRICE_EUR)  # one segment each: sms_text fits every alert SMS to one
    print(f"SMS estimated cost: {sms_n} x {price} € (SMS_SEGMENT_PRICE_EUR) = {sms_n * price:,.0f} €")
    print("workers' peak RSS (VmHWM, largest process): " + ", ".join(f"{k} {v:.0f} MB" for k, v in r["peaks"].items()))
    t = r["tables"]
    per = 100_000 / max(t["rows"], 1) / 2**20
    print(f"notifications_delivery after the warning: {t['rows']} rows of {t['width']:.0f} bytes on average; heap "
          f"{t['heap'] / 2**20:.0f} MB, indexes {t['indexes'] / 2**20:.0f} MB, total {t['total'] / 2**20:.0f} MB = "
          f"{t['heap'] * per:.1f} + {t['indexes'] * per:.1f} = {t['total'] * per:.1f} MB per 100,000 deliveries")  # fmt: skip
    print(f"Redis (this database's keys): peak {r['redis'] / 2**20:.2f} MB; longest queues "
          + ", ".join(f"{k} {v}" for k, v in r["queues"].items()))
    print(f"PostgreSQL: at most {r['connections']} connections to the database (the workers' and this script's); "
          f"host CPU stolen {r['steal']:.1f}s; load average {r['load'][0]} at the start, {r['load'][1]} at the end")


def stages(r: dict, push_n: int, sms_n: int) -> None:
    """Each stage's wall time and CPU, and its CPU per delivery."""
    cpu, total = r["cpu"], push_n + sms_n
    (p0, p1), (s0, s1) = r["stamped"]["push"], r["stamped"]["sms"]
    lines = [
        ("planning (default)", f"every message planned after {r['planned_after']:.1f}s", cpu["default"], total),
        ("push sending", f"first push {p0:.1f}s, last {p1:.1f}s", cpu["push"], push_n),
        ("SMS sending", f"first SMS {s0:.1f}s, last {s1:.1f}s", cpu["sms"], sms_n),
        ("PostgreSQL backends", "", cpu["postgres"], total),
        ("fake provider", "", cpu["fake"], total),
    ]
    for name, wall, seconds, per in lines:
        print(f"  {name:<20} {seconds:6.1f} CPU s  {seconds / max(per, 1) * 1e6:5.0f} µs per delivery  {wall}")


def compare(results: dict[str, dict]) -> None:
    if len(results) < 2:
        return
    base, area = results["per-commune"], results["area"]
    print("\n== one warning over every commune against one message per commune")
    for channel in ("push", "sms"):
        print(f"{channel}: last one after {area['last'][channel]:.1f}s against {base['last'][channel]:.1f}s; "
              f"deliveries {sum(area['by_channel'][channel].values())} against {sum(base['by_channel'][channel].values())}")
    cpu = {name: sum(r["cpu"].values()) for name, r in results.items()}
    print(f"CPU seconds, every process and PostgreSQL: {cpu['area']:.1f} against {cpu['per-commune']:.1f}")


if __name__ == "__main__":
    main()
