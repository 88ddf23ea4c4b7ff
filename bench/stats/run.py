"""Statistics benchmark (not a test): commune statistics API and a département-year export.

    .venv/bin/python bench/stats/run.py [--database vig_bench_stats] [--alerts 1000000] [--requests 50]
        [--redis-url redis://127.0.0.1:6379/0] [--profile] [--http | --http-only] [--connections 50]
        [--seconds 20] [--runs 3] [--server-code DIR]

Uses its own PostgreSQL database (created if missing, migrated, seeded once: see seed.py) and Redis (the
cache, throttles). In-process, the Django test client goes through the whole stack (authentication, URL
routing, permissions, serialisation): each request once computed, then again from the statistics' cache;
then the exports (target: CSV < 5 s). `--profile`: where a gendarme's request spends its time (breakdown.py).
`--http`: gunicorn with 2 sync workers in production settings under wrk, 50 connections (overhttp.py);
target p95 <= 100 ms. `--server-code` serves another checkout (`git archive <commit> | tar -x -C DIR`)
against the same database, for a before/after under the same conditions.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django
import psycopg


def configure(database: str, redis_url: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    os.environ.update({"DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}", "DEBUG": "true",
                       "SECRET_KEY": "bench", "ALLOWED_HOSTS": "testserver", "LOG_LEVEL": "WARNING",
                       "THROTTLE_USER": "100000/hour", "THROTTLE_USER_READ": "10000000/minute",
                       "REDIS_URL": redis_url})  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def client(token: str | None = None) -> object:  # the test client: imported after django.setup()
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token or staff_token()}")
    return api


def staff_token() -> str:
    from accounts.models import AuthToken, User

    phone = "+33699999990"
    staff = User.objects.filter(phone=phone).first() or User.objects.create_superuser(phone, "bench-pass-123")
    return AuthToken.objects.issue(staff, "bench")[1]


def gendarme_token(departement: str) -> str:
    """A gendarme of the département: the access rule runs its query, as for every non-staff reader."""
    from accounts.models import AuthToken, User
    from communes.models import GendarmeArea

    gendarme = User.objects.filter(phone="+33699999991").first() or User.objects.create_user("+33699999991")
    GendarmeArea.objects.update_or_create(user=gendarme, defaults={"departement": departement})
    return AuthToken.objects.issue(gendarme, "bench-http")[1]


def timed(call: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()  # type: ignore[operator]
    return time.perf_counter() - started, result


def bench_commune_stats(api: object, communes: list, requests: int, rng: random.Random) -> None:
    """The same requests twice: computed (the cache emptied first), then answered from the cache."""
    from stats import cache

    params = [{"from": "2025-01-01", "to": "2025-12-31"}, {"from": "2024-07-01", "to": "2025-06-30", "granularity": "week"}]
    for commune in communes[:5]:  # warm-up: connections, imports, plans
        api.get(f"/api/v1/stats/communes/{commune.insee}", params[0])
    # Distinct communes: the first pass computes each answer once.
    picked = [(commune, params[number % 2]) for number, commune in enumerate(rng.sample(communes, min(requests, len(communes))))]
    requests = len(picked)
    cache.forget_all()
    for label in ["computed", "cached"]:
        times, body = [], {}
        for commune, query in picked:
            seconds, response = timed(lambda c=commune, q=query: api.get(f"/api/v1/stats/communes/{c.insee}", q))
            assert response.status_code == 200, response.content[:300]
            times.append(seconds)
            body = response.json() if "granularity" not in query else body
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        print(f"commune statistics, {label}: {requests} requests, p50 {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms (in-process, one client)")  # fmt: skip
    print(f"  e.g. {body['commune']['name']} 2025: {body['totals']['total']} approved reports, "
          f"{body['totals']['burglaries']} burglaries, {body['rates']['per_1000_inhabitants']} per 1,000 inhabitants, "
          f"year before {body['year_before']['total']}, "
          f"median moderation {body['moderation']['median_minutes_to_approve']} min")  # fmt: skip


def profile(api: object, communes: list, requests: int, rng: random.Random) -> None:
    """The same requests computed then cached, each part of the path timed (breakdown.py); then the functions
    that take the time of the cached ones (cProfile)."""
    import cProfile
    import pstats

    import breakdown

    from stats import cache

    params = {"from": "2025-01-01", "to": "2025-12-31"}
    for commune in communes[:5]:
        api.get(f"/api/v1/stats/communes/{commune.insee}", params)
    picked = rng.sample(communes, min(requests, len(communes)))
    cache.forget_all()
    for label in ["computed", "cached"]:
        timings = breakdown.Timings()
        with breakdown.instrumented(timings):
            started = time.perf_counter()
            for commune in picked:
                assert api.get(f"/api/v1/stats/communes/{commune.insee}", params).status_code == 200
            total = time.perf_counter() - started
        breakdown.report(timings, label, len(picked), total)
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [api.get(f"/api/v1/stats/communes/{c.insee}", params) for c in picked])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def bench_export(api: object, departement: str) -> None:
    for fmt in ["csv", "json", "xlsx"]:
        params = {"departement": departement, "from": "2025-01-01", "to": "2025-12-31", "format": fmt}
        seconds, (response, size) = timed(lambda p=params: _consume(api.get("/api/v1/stats/export", p)))
        assert response.status_code == 200
        rows = response.get("X-Export-Rows", "?")
        print(f"export {departement} 2025 {fmt}: {rows} rows, {size / 1e6:.1f} MB in {seconds:.2f} s"
              + (" (target < 5 s)" if fmt == "csv" else ""))  # fmt: skip


def _consume(response: object) -> tuple[object, int]:
    size = sum(len(chunk) for chunk in response.streaming_content)  # type: ignore[attr-defined]
    return response, size


def explain(commune: object) -> None:
    from datetime import date

    from django.db import connection

    from stats.aggregates import approved_reports
    from stats.periods import DateRange, Granularity, trunc

    query = (approved_reports(DateRange(date(2025, 1, 1), date(2025, 12, 31))).filter(commune=commune)
             .annotate(period=trunc(Granularity.MONTH)).values("period", "category"))  # fmt: skip
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("series query plan:\n  " + "\n  ".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="vig_bench_stats")
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=500)
    parser.add_argument("--departement", default="06")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="where a request's time goes, then stop")
    parser.add_argument("--http", action="store_true", help="also over HTTP: gunicorn and wrk (overhttp.py)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server-code", type=Path, default=Path(__file__).resolve().parents[2],
                        help="the checkout gunicorn serves, e.g. an earlier commit's (git archive), same database")
    parser.add_argument("--http-only", action="store_true", help="skip the in-process figures and the exports")
    parser.add_argument("--http-as", choices=["gendarme", "staff"], default="gendarme",
                        help="staff pass the access rule without its queries")
    args = parser.parse_args()
    configure(args.database, args.redis_url)
    import seed

    from alerts.models import Alert

    rng = random.Random(2002)
    seconds, communes = timed(lambda: seed.bench_communes(args.communes, args.departement))
    print(f"{len(communes)} enrolled communes ({sum(c.departement == args.departement for c in communes)} in "
          f"{args.departement}) in {seconds:.1f} s")  # fmt: skip
    seconds, written = timed(lambda: seed.seed_alerts(communes, args.alerts, rng))
    if written:
        seed.seed_official(communes, rng)
        print(f"seeded {written:,} alerts (COPY) and official figures in {seconds:.1f} s")
    from stats import cache

    cache.forget_all()  # COPY announces nothing: whatever an earlier seed left in the cache is not this one's
    print(
        f"{Alert.objects.count():,} alerts, {Alert.objects.filter(status='approved', kind='report').count():,} approved reports"
    )
    explain(communes[0])
    api = client()
    if args.profile:  # as the gendarme of the département, in its communes: the access rule's query included
        own = [c for c in communes if c.departement == args.departement]
        profile(client(gendarme_token(args.departement)), own, args.requests, rng)
        return
    if not args.http_only:
        bench_commune_stats(api, communes, args.requests, rng)
        bench_export(api, args.departement)
    if args.http or args.http_only:
        import overhttp

        codes = [c.insee for c in communes if c.departement == args.departement]
        token = gendarme_token(args.departement) if args.http_as == "gendarme" else staff_token()
        overhttp.bench(args.database, args.redis_url, token, codes, connections=args.connections, seconds=args.seconds,
                       runs=args.runs, code=args.server_code)  # fmt: skip


if __name__ == "__main__":
    main()
