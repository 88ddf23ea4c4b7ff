"""Followers benchmark: python bench/followers/run.py --followers 100000 --communes 5 (or `make bench-followers`).

A red public warning (urgent, every channel, members and followers) to the followers of several communes, one
message per commune as a warning over several communes is sent, all enqueued in one transaction; the time to the
last phone is when the fake provider accepted the last push. Beside it, bench/fanout's bare transport (the same
pushes and SMS through the same backends, call sizes and processes, no database, broker or planning), before and
after in the same run. Everything else is bench/fanout's too (its processes, fake provider, environment, seeding
conventions and bare transport, imported from it): see bench/followers/README.md.
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
# bench/fanout first: `run`, `procs` and `seed` below are its modules (this file is __main__, never `run`).
sys.path[:0] = [str(ROOT), str(FANOUT), str(Path(__file__).resolve().parent)]

import procs  # noqa: E402
import run as fanout  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=100_000)
    parser.add_argument("--communes", type=int, default=5, help="communes the followers are spread over, evenly")
    parser.add_argument("--sms-ratio", type=float, default=0.1, help="share of followers who chose SMS too")
    parser.add_argument("--sms-rate", type=int, default=200, help="SMS_MAX_PER_SECOND for the run")
    parser.add_argument("--push-workers", type=int, default=2, help="push-queue worker processes (pool size)")
    parser.add_argument("--database", default="vig_bench_followers")
    parser.add_argument("--redis-db", type=int, default=13, help="flushed at the start of the warning")
    parser.add_argument("--port", type=int, default=8798)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--fcm-transport", default="curl", choices=("curl", "fast", "sdk"))
    return parser.parse_args()


def main() -> None:
    args = parse()
    workdir = Path(tempfile.mkdtemp(prefix="bench-followers-"))
    account = workdir / "service-account.json"
    fanout.fresh_fake(args.port, account)
    env = procs.bench_env(args, f"http://127.0.0.1:{args.port}", account)
    workers: list[subprocess.Popen] = []
    try:
        fanout.create_database(args.database)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        fanout.setup_django(env)
        from django.db import connection

        towns = seed_followers(args)
        before = fanout.run_bare(args, env, workdir)
        fanout.fresh_fake(args.port, account)
        real = run_warning(args, env, towns, workers)
        peaks = {name: procs.peak_memory_mb(w.pid) for name, w in zip(("push", "sms", "default"), workers, strict=True)}
        for worker in workers:
            procs.stop(worker)
        with connection.cursor() as cursor:  # as bench/fanout: autovacuum would run during the second bare run
            cursor.execute("VACUUM ANALYZE notifications_delivery")
        fanout.fresh_fake(args.port, account)
        bare = fanout.mean_bare(before, fanout.run_bare(args, env, workdir))
        report(args, real, bare, peaks)
    finally:
        for worker in workers:
            procs.stop(worker)
        procs.stop(fanout.FAKE[0])


def seed_followers(args: argparse.Namespace) -> list[object]:
    from followers_seed import seed

    started = time.monotonic()
    towns = seed(args.followers, args.communes, args.sms_ratio)
    print(f"seeded {args.followers} followers over {args.communes} communes in {time.monotonic() - started:.1f}s")
    return towns


def enqueue_warning(towns: list[object]) -> list[object]:
    """What the warning's service writes for a red warning over several communes: one public message each, one
    thread tag, in one transaction; each is planned once it commits."""
    from django.db import transaction

    from notifications import planner
    from notifications.models import Audience, MessageKind, MessageSource
    from notifications.services import message_draft

    messages = []
    with transaction.atomic():
        for town in towns:
            message = message_draft(commune=town, kind=MessageKind.BROADCAST, title="Vigilance rouge crues",
                                    body="Crue majeure attendue : éloignez-vous des cours d'eau.", urgent=True,
                                    source_type=MessageSource.WARNING, source_id=1)  # fmt: skip
            message.audience, message.every_channel, message.thread_tag = Audience.PUBLIC, True, "warning-1"
            message.save(force_insert=True)
            transaction.on_commit(lambda pk=message.pk: planner.publish_plan(pk))
            messages.append(message)
    return messages


def run_warning(args: argparse.Namespace, env: dict[str, str], towns: list[object], workers: list) -> dict:
    import redis
    from django.db.models import Count

    from notifications.models import Delivery, Message

    steal = procs.steal_seconds()
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    workers += [procs.start_worker(env, "push", args.push_workers, "push"),
                procs.start_worker(env, "sms", 1, "sms"), procs.start_worker(env, "default", 1, "default")]  # fmt: skip
    from vigilants.celery import app

    while len(app.control.ping(timeout=1.0)) < 3:
        pass
    names = ("push", "sms", "default")
    each_before = {n: procs.tree_cpu(w.pid) for n, w in zip(names, workers, strict=True)}
    each_before["fake"] = procs.cpu_seconds([fanout.FAKE_PID[0]])
    db_before = fanout.database_cpu(args.database)
    t0, wall0 = time.monotonic(), time.time()
    messages = enqueue_warning(towns)
    ids = [m.pk for m in messages]
    done = wait_final(ids, t0, args.timeout)
    seen = shown(args.port)
    by_channel = {c: dict(Delivery.objects.filter(message_id__in=ids, channel=c).values_list("status").annotate(n=Count("id")))
                  for c in ("push", "sms")}  # fmt: skip
    planned_at = max((m.planned_at for m in Message.objects.filter(pk__in=ids) if m.planned_at), default=None)
    each = {n: procs.tree_cpu(w.pid) - each_before[n] for n, w in zip(names, workers, strict=True)}
    each["fake"] = procs.cpu_seconds([fanout.FAKE_PID[0]]) - each_before["fake"]
    return {"done": done, "by_channel": by_channel, "each": each, "cpu": sum(each.values()),
            "db_cpu": fanout.database_cpu(args.database) - db_before, "steal": procs.steal_seconds() - steal,
            "planned_after": planned_at.timestamp() - wall0 if planned_at else float("nan"),
            "stamped": {c: final_after(ids, c, wall0) for c in done},
            "last_push": max((p["last_at"] for p in seen["push"].values()), default=float("nan")) - wall0,
            "last_sms": max((p["last_at"] for p in seen["sms"].values()), default=float("nan")) - wall0,
            "twice": sum(p["received"] != 1 for rows in seen.values() for p in rows.values()),
            "phones": len(seen["push"]), "numbers": len(seen["sms"]), "sms_rate": procs.provider_sms_rate(args.port)}  # fmt: skip


def final_after(message_ids: list[int], channel: str, wall0: float) -> float:
    """bench/fanout's final_after over every message of the warning: the workers' stamp on the channel's last
    delivery to become final (sent_at or finished_at), from the enqueue."""
    from django.db.models import Max
    from django.db.models.functions import Coalesce

    from notifications.models import Delivery

    rows = Delivery.objects.filter(message_id__in=message_ids, channel=channel)
    last = rows.aggregate(last=Max(Coalesce("finished_at", "sent_at")))["last"]
    return last.timestamp() - wall0 if last else float("nan")


def wait_final(message_ids: list[int], t0: float, timeout: float) -> set[str]:
    """Poll once a second (cheap probes: planned, then the small partial index of active rows) until every
    delivery of each channel is final; the channels done."""
    from notifications.models import Delivery, Message

    done: set[str] = set()
    while len(done) < 2 and time.monotonic() - t0 < timeout:
        time.sleep(1.0)
        if Message.objects.filter(pk__in=message_ids).exclude(status="planned").exists():
            continue
        for channel in {"push", "sms"} - done:
            # Only these messages have open deliveries in the bench database: no message filter (see bench/fanout).
            if not Delivery.objects.filter(status__in=["pending", "sending"], channel=channel).exists():
                done.add(channel)
    return done


def shown(port: int) -> dict:
    """What each phone shows and when the provider accepted its last request (time.time() of the same machine)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_shown", timeout=60) as answer:
        return json.load(answer)


def report(args: argparse.Namespace, real: dict, bare: dict, peaks: dict[str, float]) -> None:
    push_n, sms_n = (sum(real["by_channel"][c].values()) for c in ("push", "sms"))
    t_push = real["last_push"]
    print(f"\nfollowers: {args.followers} over {args.communes} communes; a red public warning: one message per commune")
    print(f"push deliveries: {push_n} {real['by_channel']['push']}; sms deliveries: {sms_n} {real['by_channel']['sms']}")
    print(f"phones shown the warning: {real['phones']}, numbers texted: {real['numbers']}; received more than once: "
          f"{real['twice']} (exactly once: 0)")  # fmt: skip
    print(f"every message planned after {real['planned_after']:.1f}s")
    print(f"time to the last phone (the fake provider accepted the last push): {t_push:.1f}s = {push_n / t_push:.0f} push/s;"
          f" the workers' stamps: every push final after {real['stamped'].get('push', float('nan')):.1f}s")  # fmt: skip
    runs = " and ".join(f"{r['seconds']:.1f}s" for r in bare["runs"])
    print(f"bare transport (bench/fanout/bare.py, FCM_TRANSPORT={args.fcm_transport}, {args.push_workers} push processes "
          f"+ 1 SMS process), before and after: every push after {runs}, mean {bare['seconds']:.1f}s = "
          f"{bare['sent'] / bare['seconds']:.0f} push/s ({bare['sent']:.0f} sent)")  # fmt: skip
    ratio = (push_n / t_push) / (bare["sent"] / bare["seconds"])
    each = " and ".join(f"{r['seconds'] / t_push:.0%}" for r in bare["runs"])
    print(f"warning to followers, throughput / bare transport: {ratio:.0%} (against each bare run: {each}); "
          f"time to the last phone / bare time: {t_push / bare['seconds']:.2f}")  # fmt: skip
    if sms_n:
        peak = real["sms_rate"]["most_in_one_second"]
        print(f"SMS: the last accepted after {real['last_sms']:.1f}s; the most within any one second: {peak} "
              f"(SMS_MAX_PER_SECOND={args.sms_rate}: {'within' if peak <= args.sms_rate else 'ABOVE'})")  # fmt: skip
    print(f"CPU seconds (processes + fake provider): warning {real['cpu']:.1f} + database {real['db_cpu']:.1f}; "
          f"bare transport {bare['cpu']:.1f}")  # fmt: skip
    fanout.client_cost(real, bare, push_n, push_n + sms_n)
    print("warning CPU seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in real["each"].items()))
    print("bare CPU seconds by process: " + ", ".join(f"{k} {v:.1f}" for k, v in bare["each"].items()))
    print(f"host CPU stolen (/proc/stat steal): warning {real['steal']:.1f}s, bare "
          + " and ".join(f"{r['steal']:.1f}s" for r in bare["runs"]))
    print("workers' peak RSS (VmHWM, largest process): " + ", ".join(f"{k} {v:.0f} MB" for k, v in peaks.items()))
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])} (2 cores, shared)")


if __name__ == "__main__":
    main()
