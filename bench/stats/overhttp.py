"""Commune statistics over HTTP: gunicorn (sync workers) in production settings, loaded by wrk.

`run.py --http`: a gendarme of the département asks for its communes' statistics, two ranges each (a calendar
year by month, a year by week), from `connections` clients at once. wrk prints its latency percentiles and
throughput; a warm-up run first fills what the first requests fill (connections, caches) and is not reported.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
PARAMS = ["from=2025-01-01&to=2025-12-31", "from=2024-07-01&to=2025-06-30&granularity=week"]

# wrk's own percentiles stop at 99 without 95: its `done` hook prints them from its histogram.
SCRIPT = """
paths = {%(paths)s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
     + summary.errors.timeout
  io.write(string.format("RESULT requests=%%d seconds=%%.3f p50=%%.2f p95=%%.2f p99=%%.2f max=%%.2f errors=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, errors))
end
"""


def environment(database: str, redis_url: str) -> dict[str, str]:
    """Production settings (DEBUG off, Redis cache and throttles); the per-person and per-device read rates high
    enough for a load test (one gendarme's token asks 1,700 times a second: a runaway client to the service)."""
    return {
        **os.environ, "DEBUG": "false", "SECRET_KEY": "bench-" + "x" * 60, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}", "REDIS_URL": redis_url,
        "ALLOW_EMBEDDED": "true", "LOG_LEVEL": "WARNING", "THROTTLE_USER": "100000000/hour",
        "THROTTLE_USER_READ": "100000000/minute",
        "DJANGO_SETTINGS_MODULE": "vigilants.settings",
    }  # fmt: skip


def start_gunicorn(env: dict[str, str], workers: int, port: int, code: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(GUNICORN), "vigilants.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=code, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/stats/communes/00000", timeout=2)
        except urllib.error.HTTPError:  # 401: it answers
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def wrk(port: int, token: str, insee_codes: list[str], connections: int, seconds: int) -> dict[str, float]:
    paths = ", ".join(f'"/api/v1/stats/communes/{code}?{params}"' for code in insee_codes for params in PARAMS)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT % {"paths": paths})
    try:
        output = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", script.name,
             "-H", f"Authorization: Token {token}", f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    found = re.search(r"RESULT (.*)", output)
    if found is None:
        raise RuntimeError(output)
    result = {key: float(value) for key, value in (pair.split("=") for pair in found.group(1).split())}
    result["rps"] = result["requests"] / result["seconds"]
    return result


def workers_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU time the gunicorn workers used so far: per request, a figure the other loads of the machine move
    less than latencies (they still share its caches and PostgreSQL)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    ticks = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def bench(database: str, redis_url: str, token: str, insee_codes: list[str], *, workers: int = 2,
          connections: int = 50, seconds: int = 20, runs: int = 3, port: int = 8799, code: Path = REPO) -> None:  # fmt: skip
    """`code`: the checkout gunicorn serves (another commit's, for a before/after under the same conditions)."""
    server = start_gunicorn(environment(database, redis_url), workers, port, code)
    try:
        wrk(port, token, insee_codes, connections, 5)  # warm-up
        for run in range(1, runs + 1):
            cpu = workers_cpu_seconds(server)
            r = wrk(port, token, insee_codes, connections, seconds)
            cpu = workers_cpu_seconds(server) - cpu
            print(f"HTTP run {run}: {connections} connections, gunicorn {workers} sync workers, {len(insee_codes)} communes"
                  f" × {len(PARAMS)} ranges: {r['rps']:.0f} req/s, p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                  f"p99 {r['p99']:.1f} ms, max {r['max']:.0f} ms, {r['errors']:.0f} errors over {r['requests']:.0f}; "
                  f"workers' CPU {cpu / r['requests'] * 1000:.2f} ms per request")  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)
