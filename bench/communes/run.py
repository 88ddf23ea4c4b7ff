"""Commune endpoints against a bare DRF endpoint, under wrk, in one gunicorn (2 sync workers).

    .venv/bin/python bench/communes/run.py [--rounds 3] [--duration 10] [--connections 50]

Uses its own PostgreSQL database (`vigilants_communes_bench`: created, migrated and loaded with every commune
if needed) and Redis database 13 (only this benchmark's cached answers are removed at the end). gunicorn runs
with DEBUG=false and the project's middleware, authentication and throttles (their rates raised so that no
request is refused); `/bench/bare` (bare_urls.py) answers 20 communes from memory through the same stack.
Each round measures the bare endpoint, then each commune endpoint, so that every ratio compares figures taken
within the same minute on this shared machine; the targets are at least 50 % of the bare throughput with p95
at most 100 ms. `search (uncached)` asks a new URL each time: the cost of building an answer.
On a machine shared with other loads throughput and latency swing from one run to the next; the CPU seconds
the workers and their PostgreSQL backends spend per request move much less, and their ratio to the bare
endpoint's says what throughput each endpoint would reach beside it on an idle machine.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/13"
TARGETS = {
    "bare": ("/bench/bare", "p95.lua"),
    "search": ("/api/v1/communes?search=saint%20paul", "p95.lua"),
    "detail": ("/api/v1/communes/06128", "p95.lua"),
    "search (uncached)": ("/", "miss.lua"),
}


def environment(database: str, debug: bool) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}", "REDIS_URL": REDIS_URL,
            "DEBUG": "true" if debug else "false", "ALLOW_EMBEDDED": "true", "SECRET_KEY": "bench-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1", "THROTTLE_ANON": "1000000000/hour", "THROTTLE_USER": "1000000000/hour",
            "DJANGO_SETTINGS_MODULE": "bench.communes.bare_settings", "LOG_LEVEL": "WARNING",
            # Each worker keeps its connection for the whole run: the CPU of its backend is counted throughout.
            "CONN_MAX_AGE": "3600"}  # fmt: skip


def prepare(database: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    env = environment(database, debug=True)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "import_communes"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start(database: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "vigilants.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--chdir", str(ROOT), "--log-level", "warning"],
        env=environment(database, debug=False),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def wrk(url: str, script: str, connections: int, duration: int) -> tuple[float, float, int]:
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency",
                          "-s", str(HERE / script), url], capture_output=True, text=True, check=True).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p95 = float(re.search(r"P95_MS ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = int(re.search(r"NON_2XX (\d+)", out).group(1))  # type: ignore[union-attr]
    return rps, p95, errors


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User and system CPU of each of these processes so far (Linux /proc), in seconds."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def serving_pids(server: subprocess.Popen[bytes], database: str) -> list[int]:
    """gunicorn's workers and their PostgreSQL backends (kept open between requests: CONN_MAX_AGE)."""
    import psycopg

    workers = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]).fetchall()
    return workers + [pid for (pid,) in rows]


def forget_answers() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match="*communes:answer:*", count=1000):
        client.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="vigilants_communes_bench")
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--only", nargs="*", default=list(TARGETS), help="targets besides bare: " + ", ".join(TARGETS))
    args = parser.parse_args()
    prepare(args.database)
    server = start(args.database, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    names = ["bare", *[name for name in args.only if name != "bare"]]
    ratios: dict[str, list[float]] = {name: [] for name in names}
    p95s: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    try:
        for name in names:  # warm: imports, connections, the cached answers
            urllib.request.urlopen(base + TARGETS[name][0], timeout=10).read()  # noqa: S310
        for name in names:  # every worker has its database connection
            for _ in range(4 * args.workers):
                urllib.request.urlopen(base + TARGETS[name][0], timeout=10).read()  # noqa: S310
        print(f"{'round':>5}  {'endpoint':<18} {'req/s':>8} {'p95 ms':>8} {'non-2xx':>7} {'vs bare':>8} {'CPU ms/req':>10}")
        for round_ in range(1, args.rounds + 1):
            bare_rps = 0.0
            for name in names:
                pids = serving_pids(server, args.database)
                before = cpu_seconds(pids)
                rps, p95, errors = wrk(base + TARGETS[name][0], TARGETS[name][1], args.connections, args.duration)
                cpu = cpu_spent(before, cpu_seconds(pids)) * 1000 / (rps * args.duration)
                bare_rps = rps if name == "bare" else bare_rps
                ratios[name].append(rps / bare_rps)
                p95s[name].append(p95)
                cpus[name].append(cpu)
                print(f"{round_:>5}  {name:<18} {rps:>8.0f} {p95:>8.1f} {errors:>7} {rps / bare_rps:>8.0%} {cpu:>10.2f}",
                      flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
        forget_answers()
    bare_p95, bare_cpu = statistics.median(p95s["bare"]), statistics.median(cpus["bare"])
    print(f"\nmedians over the rounds (target: >= 50 % of bare, p95 <= 100 ms; bare's own p95: {bare_p95:.1f} ms)")
    for name in names[1:]:
        ratio, p95 = statistics.median(ratios[name]), statistics.median(p95s[name])
        verdict = "ok" if ratio >= 0.5 and p95 <= 100 else "throughput ok, p95 over 100 ms" if ratio >= 0.5 else "MISSED"
        print(f"  {name:<18} {ratio:>5.0%} of bare, p95 {p95:.1f} ms ({p95 / bare_p95:.1f}x bare's)  {verdict}")
    print(f"\nCPU per request (gunicorn workers and their PostgreSQL backends), medians; bare {bare_cpu:.2f} ms")
    for name in names[1:]:
        cpu = statistics.median(cpus[name])
        print(f"  {name:<18} {cpu:.2f} ms: at equal CPU, {bare_cpu / cpu:.0%} of bare's throughput")


if __name__ == "__main__":
    main()
