"""Fan-out benchmark: python bench/fanout/run.py --members 100000 (or `make bench-fanout`).

Seeds N members on PostgreSQL (database vig_bench, Redis db 13), starts the fake provider and real Celery
workers (push, sms and default queues), enqueues one message and measures until every delivery is
final. Then sends the same pushes through the bare transport (same backend, SDK calls, batch sizes and
number of processes; no database, broker or planning) and prints both, their ratio, the workers' peak
memory and the SMS rate against SMS_MAX_PER_SECOND.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import procs  # noqa: E402

FAKE: list[subprocess.Popen] = []  # the fake provider of the phase running now
FAKE_PID: list[int] = []


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--sms-ratio", type=float, default=0.1, help="share of members who chose SMS")
    parser.add_argument("--sms-rate", type=int, default=200, help="SMS_MAX_PER_SECOND for the run")
    parser.add_argument("--push-workers", type=int, default=2, help="push-queue worker processes (pool size)")
    parser.add_argument("--database", default="vig_bench")
    parser.add_argument("--redis-db", type=int, default=13)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--fcm-transport", default="curl", choices=("curl", "fast", "sdk"),
                        help="FCM_TRANSPORT of the workers and the bare run (curl: libcurl, the default; fast: "
                             "urllib3 pool and threads; sdk: send_each)")
    parser.add_argument("--bare-sdk", action="store_true",
                        help="also time the bare transport through firebase-admin's send_each (FCM_TRANSPORT=sdk)")
    return parser.parse_args()


def fresh_fake(port: int, account: Path) -> None:
    """A new fake provider for each phase, so that no phase inherits the state another left in it."""
    if FAKE:
        procs.stop(FAKE.pop())
    FAKE.append(procs.start_fake(port, account))
    FAKE_PID[:] = [FAKE[0].pid]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigilants.settings"
    import django

    django.setup()


def create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    account = workdir / "service-account.json"
    fresh_fake(args.port, account)
    env = procs.bench_env(args, f"http://127.0.0.1:{args.port}", account)
    workers: list[subprocess.Popen] = []
    try:
        create_database(args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup_django(env)
        from django.db import connection

        commune = seed_members(args)
        # The bare transport before and after the fan-out: this machine's speed drifts from minute to
        # minute (shared host), and their mean cancels a steady drift; both are printed.
        before = run_bare(args, env, workdir)
        fresh_fake(args.port, account)
        real = run_fanout(args, env, commune, fake_port=args.port, workers=workers)
        peaks = {name: procs.peak_memory_mb(w.pid) for name, w in zip(("push", "sms", "default"), workers, strict=True)}
        for worker in workers:
            procs.stop(worker)
        # Autovacuum would otherwise clean up after the fan-out during the second bare run, against it.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_delivery")
        fresh_fake(args.port, account)
        bare = mean_bare(before, run_bare(args, env, workdir))
        sdk = run_bare(args, {**env, "FCM_TRANSPORT": "sdk"}, workdir) if args.bare_sdk else None
        report(args, real, bare, peaks, sdk)
    finally:
        for worker in workers:
            procs.stop(worker)
        procs.stop(FAKE[0])


def seed_members(args: argparse.Namespace) -> object:
    from seed import seed

    started = time.monotonic()
    commune = seed(args.members, args.sms_ratio)
    print(f"seeded {args.members} members in {time.monotonic() - started:.1f}s")
    return commune


def run_fanout(args: argparse.Namespace, env: dict[str, str], commune: object, fake_port: int, workers: list) -> dict:
    import redis
    from django.db import transaction
    from django.db.models import Count

    from notifications.models import Delivery, Message
    from notifications.services import message_enqueue

    steal = procs.steal_seconds()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    workers += [procs.start_worker(env, "push", args.push_workers, "push"),
                procs.start_worker(env, "sms", 1, "sms"), procs.start_worker(env, "default", 1, "default")]  # fmt: skip
    from vigilants.celery import app

    while len(app.control.ping(timeout=1.0)) < 3:
        pass
    before = procs.provider_count(fake_port)
    names = ("push", "sms", "default")
    each_before = {n: procs.tree_cpu(w.pid) for n, w in zip(names, workers, strict=True)}
    each_before["fake"] = procs.cpu_seconds([FAKE_PID[0]])
    db_before = database_cpu(args.database)
    t0, wall0 = time.monotonic(), time.time()
    with transaction.atomic():
        message = message_enqueue(commune=commune, kind="broadcast", title="Alerte", body="Restez vigilants.",
                                  urgent=True, source_type="broadcast", source_id=1)  # fmt: skip
    done: set[str] = set()
    active = ["pending", "sending"]
    while len(done) < 2 and time.monotonic() - t0 < args.timeout:
        # Cheap probes (exists() on the small partial index), once a second so that watching does not load
        # the database; the times reported come from the deliveries' own timestamps (final_after).
        time.sleep(1.0)
        if Message.objects.get(pk=message.pk).status != "planned":
            continue
        for channel in {"push", "sms"} - done:
            # Only this message has open deliveries in the bench database: no message filter, so that the
            # small partial index of active rows answers, not a scan of the message's 110,000 rows.
            if not Delivery.objects.filter(status__in=active, channel=channel).exists():
                done.add(channel)
    times = {channel: final_after(message, channel, wall0) for channel in done}
    by_channel = {
        c: dict(Delivery.objects.filter(message=message, channel=c).values_list("status").annotate(n=Count("id")))
        for c in ("push", "sms")
    }
    sms_first = Delivery.objects.filter(message=message, channel="sms").exclude(sent_at=None).order_by("sent_at")
    sms_span = 0.0
    if sms_first.exists():
        sms_span = (sms_first.last().sent_at - sms_first.first().sent_at).total_seconds()
    each = {n: procs.tree_cpu(w.pid) - each_before[n] for n, w in zip(names, workers, strict=True)}
    each["fake"] = procs.cpu_seconds([FAKE_PID[0]]) - each_before["fake"]
    cpu = sum(each.values())
    return {"times": times, "by_channel": by_channel, "cpu": cpu, "db_cpu": database_cpu(args.database) - db_before,
            "steal": procs.steal_seconds() - steal,
            "requests": procs.provider_count(fake_port) - before, "sms_span": sms_span, "each": each,
            "sms_rate": procs.provider_sms_rate(fake_port)}  # fmt: skip


def final_after(message: object, channel: str, wall0: float) -> float:
    """Seconds from the enqueue to the last of the channel's deliveries becoming final, as the workers
    stamped it (sent_at or finished_at, the same clock on one machine): exact, not rounded up to a probe."""
    from django.db.models import Max
    from django.db.models.functions import Coalesce

    from notifications.models import Delivery

    rows = Delivery.objects.filter(message=message, channel=channel)
    last = rows.aggregate(last=Max(Coalesce("finished_at", "sent_at")))["last"]
    return last.timestamp() - wall0


def database_cpu(database: str) -> float:
    """CPU used so far by the PostgreSQL backends connected to the benchmark database (by process title)."""
    return procs.cpu_seconds(backend_pids(database))


def backend_pids(database: str) -> list[int]:
    """The PostgreSQL backends connected to the database, found by their process title."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {database} " in title:
            pids.append(int(cmdline.parent.name))
    return pids


def run_bare(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> dict:
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from accounts.models import User
    from notifications.models import Device

    tokens, phones = workdir / "tokens.txt", workdir / "phones.txt"
    bench_devices = Device.objects.filter(fcm_token__startswith="bench-")  # noqa: S106 - not a password
    tokens.write_text("\n".join(bench_devices.values_list("fcm_token", flat=True)))
    texters = User.objects.filter(phone__startswith="+3367", preferences__channels__contains=["sms"])
    phones.write_text("\n".join(texters.annotate(p=Cast("phone", CharField())).values_list("p", flat=True)))
    steal = procs.steal_seconds()
    start_at = time.time() + 8  # every process loaded and warm before the common start
    fake_cpu = procs.cpu_seconds(FAKE_PID)
    script = str(Path(__file__).parent / "bare.py")
    jobs = [["push", str(i), str(args.push_workers), str(start_at), str(tokens)] for i in range(args.push_workers)]
    jobs.append(["sms", "0", "1", str(start_at), str(phones)])
    children = [subprocess.Popen([sys.executable, script, *job], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
                for job in jobs]  # fmt: skip
    lines = [c.communicate()[0].split() for c in children]
    fake_cpu = procs.cpu_seconds(FAKE_PID) - fake_cpu
    push_lines, sms_line = lines[:-1], lines[-1]
    begin = min(float(x[0]) for x in lines)
    return {"seconds": max(float(x[1]) for x in push_lines) - begin, "sent": sum(int(x[2]) for x in push_lines),
            "sms_seconds": float(sms_line[1]) - begin, "sms_sent": int(sms_line[2]),
            "cpu": sum(float(x[3]) for x in lines) + fake_cpu,
            "each": {"push": sum(float(x[3]) for x in push_lines), "sms": float(sms_line[3]), "fake": fake_cpu},
            "steal": procs.steal_seconds() - steal}  # fmt: skip


def mean_bare(before: dict, after: dict) -> dict:
    mean = {key: (before[key] + after[key]) / 2 for key in ("seconds", "sent", "sms_seconds", "sms_sent", "cpu", "steal")}
    mean["each"] = {key: (before["each"][key] + after["each"][key]) / 2 for key in before["each"]}
    return {**mean, "runs": [before, after]}


def report(args: argparse.Namespace, real: dict, bare: dict, peaks: dict[str, float], sdk: dict | None) -> None:
    push_n = sum(real["by_channel"]["push"].values())
    sms_n = sum(real["by_channel"]["sms"].values())
    t_push = real["times"].get("push", float("nan"))
    t_sms = real["times"].get("sms", float("nan"))
    print(f"\nmembers: {args.members}  push deliveries: {push_n}  sms deliveries: {sms_n}")
    print(f"push statuses: {real['by_channel']['push']}   sms statuses: {real['by_channel']['sms']}")
    print(f"provider requests during the fan-out: {real['requests']} (exactly once: {push_n + sms_n} "
          f"+ the OAuth token requests of the push processes)")
    print(f"end to end (enqueue -> every push final): {t_push:.1f}s  = {push_n / t_push:.0f} push/s"
          f"  (target: 100,000 in <= 60 s)")  # fmt: skip
    runs = " and ".join(f"{r['seconds']:.1f}s" for r in bare["runs"])
    print(f"bare transport, FCM_TRANSPORT={args.fcm_transport} ({args.push_workers} push processes + 1 SMS process, "
          f"same calls), before and after the fan-out: every push after {runs}, mean "
          f"{bare['seconds']:.1f}s = {bare['sent'] / bare['seconds']:.0f} push/s ({bare['sent']:.0f} sent); "
          f"every SMS after {bare['sms_seconds']:.1f}s ({bare['sms_sent']:.0f} sent)")  # fmt: skip
    if sdk:
        print(f"bare transport, FCM_TRANSPORT=sdk (send_each): every push after {sdk['seconds']:.1f}s = "
              f"{sdk['sent'] / sdk['seconds']:.0f} push/s; CPU {sdk['cpu']:.1f}s")
    ratio = (push_n / t_push) / (bare["sent"] / bare["seconds"])
    each = " and ".join(f"{r['seconds'] / t_push:.0%}" for r in bare["runs"])
    print(f"fan-out throughput / bare transport: {ratio:.0%}  (target >= 80 %; against each bare run: {each})")
    if real["sms_span"]:
        rate = (sms_n - 1) / real["sms_span"]
        peak = real["sms_rate"]["most_in_one_second"]
        print(f"SMS: every SMS final after {t_sms:.1f}s; mean rate {rate:.1f}/s; the most the provider received within"
              f" any one second: {peak} (SMS_MAX_PER_SECOND={args.sms_rate}: {'within' if peak <= args.sms_rate else 'ABOVE'})")
    print(f"CPU seconds (processes + fake provider): fan-out {real['cpu']:.1f} + database {real['db_cpu']:.1f}"
          f" = {real['cpu'] + real['db_cpu']:.1f}; bare transport {bare['cpu']:.1f}"
          f"  -> bare / fan-out CPU = {bare['cpu'] / (real['cpu'] + real['db_cpu']):.0%}")
    client_cost(real, bare, push_n, push_n + sms_n)
    print("fan-out CPU seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in real["each"].items()))
    print("bare CPU seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in bare["each"].items()))
    # The fake provider does the same work in every phase (the same requests): its CPU per request shows how
    # fast the machine was during each, which on a shared host moves by tens of percent from minute to minute.
    per_request = [r["each"]["fake"] / (push_n + sms_n) * 1e6 for r in (bare["runs"][0], real, bare["runs"][1])]
    print("machine speed, as the fake provider's CPU per request (same work in each phase): bare before "
          "{:.0f} µs, fan-out {:.0f} µs, bare after {:.0f} µs".format(*per_request))
    slower = per_request[1] / ((per_request[0] + per_request[2]) / 2)
    print(f"fan-out / bare at equal machine speed (the ratio times {slower:.2f}, how much slower the machine ran "
          f"during the fan-out than during the bare runs): {ratio * slower:.0%}; a reading, not the target's figure")
    print(f"host CPU stolen by other guests (/proc/stat steal): fan-out {real['steal']:.1f}s, bare "
          + " and ".join(f"{r['steal']:.1f}s" for r in bare["runs"]))
    print("workers' peak RSS (VmHWM, largest process): " + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()))


def client_cost(real: dict, bare: dict, pushes: int, requests: int) -> None:
    """The push client against the server that answers it, in the same phase: the push processes' CPU per push
    and the fake provider's CPU per request it served (pushes and SMS alike)."""
    for name, phase in (("fan-out", real), *((f"bare {w}", r) for w, r in zip(("before", "after"), bare["runs"], strict=True))):
        push_us, fake_us = phase["each"]["push"] / pushes * 1e6, phase["each"]["fake"] / requests * 1e6
        print(f"{name}: push processes {push_us:.0f} µs CPU per push, fake provider {fake_us:.0f} µs CPU per request:"
              f" push / fake = {push_us / fake_us:.2f} (target for the fan-out: <= 1)")


if __name__ == "__main__":
    main()
