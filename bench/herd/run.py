"""The herd after a warning: python bench/herd/run.py (or `make bench-herd`).

The database as a 100,000-member fan-out leaves it (seed.py), the service under gunicorn (sync workers,
PostgreSQL, Redis, production settings) and beside it, in the same gunicorn, two bare stacks: bare.py (Django +
DRF, no middleware, database or authentication) and bare_default.py (a project as `startproject` makes it, with
DRF's defaults: Django's default middleware, session and basic authentication). With wrk (50 connections):

1. the references, then each read endpoint of the phone app, for --duration seconds each: requests per second,
   p50/p95/p99, errors, and the share of three references' throughput: the bare stacks' 20-row list (`bare`,
   `default`) and the same list served by the service itself through its middleware, token authentication and throttles
   (`floor`: floor_urls.py, what any signed-in request costs before its endpoint works);
2. the herd: GET /alerts from --tokens distinct readers for 60 s, as fast as they are answered: how many were
   answered (the target: --herd, 20,000), the time --herd took at that pace, p50/p95/p99 and errors.

Nothing is loosened for the benchmark: throttles, authentication and settings are the service's defaults.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(HERE)]


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--tokens", type=int, default=2_000, help="distinct readers")
    parser.add_argument("--herd", type=int, default=20_000, help="GET /alerts of the herd")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both stacks)")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (both stacks)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--database", default="vig_bench_herd")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--port", type=int, default=8797)
    parser.add_argument("--only", help="measure only the endpoints whose name contains this")
    return parser.parse_args()


def service_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ, "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "127.0.0.1", "ALLOW_EMBEDDED": "true", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}", "PUBLIC_BASE_URL": "http://127.0.0.1",
        # The service's settings plus /api/bench/empty and /api/bench/list (floor_urls.py), nothing else changed.
        "DJANGO_SETTINGS_MODULE": "bench.herd.floor_settings",
    }  # fmt: skip


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone():
            conn.execute(f'CREATE DATABASE "{args.database}"')
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import seed_herd

    return seed_herd.seed(args.members, args.tokens)


def gunicorn(args: argparse.Namespace, env: dict[str, str], app: str, port: int, cwd: Path, log: Path) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("gunicorn")), app, "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--worker-class", args.worker_class, "--threads", str(args.threads),
               "--log-level", "warning", "--backlog", "2048"]  # fmt: skip
    with log.open("ab") as output:  # the service's warnings (throttled, not found) apart from the figures
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except urllib.error.HTTPError:
            return process  # any HTTP answer: it serves
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn ({app}) did not start")


def wrk(args: argparse.Namespace, url: str, tokens: Path | None, seconds: int) -> dict:
    env = {**os.environ, "TOKENS_FILE": str(tokens) if tokens else ""}
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s", "-s",
               str(HERE / "load.lua"), url]  # fmt: skip
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def endpoints(seeded: dict[str, object], readers: Path, mayor: Path) -> list[tuple[str, str, Path | None]]:
    insee, alert = seeded["insee"], seeded["alert"]
    return [
        ("GET /alerts?commune= (resident)", f"/api/v1/alerts?commune={insee}", readers),
        ("GET /alerts/{id} (resident)", f"/api/v1/alerts/{alert}", readers),
        ("GET /me", "/api/v1/me", readers),
        ("GET /communes?search=saint paul", "/api/v1/communes?search=saint%20paul", None),
        ("GET /communes/{insee}", "/api/v1/communes/06128", None),
        ("GET /stats/communes/{insee} (mayor)", f"/api/v1/stats/communes/{insee}", mayor),
    ]


def line(name: str, result: dict, *references: float | None) -> str:
    shares = "".join(f"{result['rps'] / ref:8.0%}" if ref else "        " for ref in references)
    return (f"{name:38} {result['rps']:7.0f}/s  p50 {result['p50_ms']:6.1f}  p95 {result['p95_ms']:6.1f}"
            f"  p99 {result['p99_ms']:6.1f} ms  errors {result['non2xx'] + result['socket_errors']:4d} {shares}")  # fmt: skip


def main() -> None:
    args = parse()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk; `make bench-herd` installs it)")
    env = service_env(args)
    seeded = prepare(args, env)
    folder = Path(tempfile.mkdtemp(prefix="bench-herd-"))
    readers, mayor = folder / "readers", folder / "mayor"
    readers.write_text("\n".join(seeded["readers"]) + "\n")  # type: ignore[arg-type]
    mayor.write_text(str(seeded["mayor"]) + "\n")
    log = Path(tempfile.gettempdir()) / "bench-herd-gunicorn.log"
    print(f"gunicorn's output: {log}")
    service = gunicorn(args, env, "vigilants.wsgi", args.port, ROOT, log)
    bare_env = {k: v for k, v in env.items() if k != "DJANGO_SETTINGS_MODULE"}
    bare = gunicorn(args, bare_env, "bare:application", args.port + 1, HERE, log)
    default = gunicorn(args, bare_env, "bare_default:application", args.port + 2, HERE, log)
    try:
        measure(args, seeded, readers, mayor)
    finally:
        for process in (service, bare, default):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(folder)


def measure(args: argparse.Namespace, seeded: dict[str, object], readers: Path, mayor: Path) -> None:
    base, bare_base = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    default_base = f"http://127.0.0.1:{args.port + 2}"
    print(f"gunicorn {args.workers} x {args.worker_class} (threads {args.threads}), {args.connections} connections,"
          f" {args.duration} s each; {args.members} members, {args.tokens} readers")  # fmt: skip
    references = {"bare DRF /empty": bare_base + "/empty", "bare DRF /list": bare_base + "/list",
                  "default project /empty": default_base + "/empty", "default project /list": default_base + "/list",
                  "service's floor /empty": base + "/api/bench/empty", "service's floor /list": base + "/api/bench/list"}
    for url in references.values():
        wrk(args, url, readers, seconds=2)  # warm-up
    measured = {name: wrk(args, url, readers, seconds=args.duration) for name, url in references.items()}
    bare, floor = measured["bare DRF /list"]["rps"], measured["service's floor /list"]["rps"]
    default, empty = measured["default project /list"]["rps"], measured["bare DRF /empty"]["rps"]
    # Shares of the bare 20-row list, of the bare empty endpoint (the stricter reference for a read that is
    # not a list), of the default project's list and of the service's floor.
    print(f"{'':38} {'':9}  {'':11}  {'':11}  {'':15}  {'':11} {'bare':>7} {'empty':>7} {'default':>7} {'floor':>7}")
    for name, path, tokens in endpoints(seeded, readers, mayor):
        if args.only and args.only not in name:
            continue
        wrk(args, base + path, tokens, seconds=2)  # warm-up: connections, caches, plans
        result = wrk(args, base + path, tokens, seconds=args.duration)
        print(line(name, result, bare, empty, default, floor), flush=True)
    for name, result in measured.items():
        print(line(name, result, *((bare, empty, default) if name.startswith("service") else ())))
    herd = wrk(args, f"{base}/api/v1/alerts?commune={seeded['insee']}", readers, seconds=60)
    print(f"herd: {herd['requests']} GET /alerts from {args.tokens} readers answered in 60 s (target {args.herd}); "
          f"{args.herd} took {args.herd / herd['rps']:.1f} s:\n" + line("herd GET /alerts", herd, bare, empty, default, floor))


if __name__ == "__main__":
    main()
