"""Where one commune statistics request spends its time, in-process: `run.py --profile`.

Times the parts a request goes through by wrapping them (not by sampling): SQL statements (by the table they
read first), cache round trips (Redis: throttles, the statistics cache), the statistics service, JSON
rendering; the rest is Django's and DRF's own path (middleware, URL routing, authentication's Python,
permissions, negotiation) and the test client.
"""

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

TABLE = re.compile(r'\bFROM "?(\w+)"?', re.IGNORECASE)


class Timings:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def add(self, part: str, seconds: float) -> None:
        self.seconds[part] += seconds
        self.calls[part] += 1

    def timed(self, part: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return call(*args, **kwargs)
        finally:
            self.add(part, time.perf_counter() - started)


def _sql_part(sql: str) -> str:
    verb = sql.lstrip().split(None, 1)[0].upper()
    found = TABLE.search(sql)
    return f"sql {verb} {found.group(1) if found else '?'}"


@contextmanager
def instrumented(timings: Timings) -> Iterator[None]:
    """Wraps the database, the cache, the statistics service and the renderer while inside."""
    from django.db import connection
    from rest_framework.renderers import JSONRenderer

    from stats import views
    from vigilants.cache import FallbackRedisCache

    def on_query(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        return timings.timed(_sql_part(sql), execute, sql, params, many, context)

    call, render, service = FallbackRedisCache._call, JSONRenderer.render, getattr(views, "commune_statistics", None)
    FallbackRedisCache._call = lambda self, name, *a, **k: timings.timed(f"cache {name}", call, self, name, *a, **k)
    JSONRenderer.render = lambda self, *a, **k: timings.timed("JSON rendering", render, self, *a, **k)
    if service is not None:
        views.commune_statistics = lambda *a, **k: timings.timed("statistics service (its SQL included)", service, *a, **k)
    try:
        with connection.execute_wrapper(on_query):
            yield
    finally:
        FallbackRedisCache._call, JSONRenderer.render = call, render
        if service is not None:
            views.commune_statistics = service


def report(timings: Timings, label: str, requests: int, total: float) -> None:
    print(f"where a request's time goes, {label} ({requests} requests, mean per request; wall {total / requests * 1000:.2f} ms):")
    accounted = 0.0
    for part, seconds in sorted(timings.seconds.items(), key=lambda item: -item[1]):
        if not part.startswith("statistics service"):
            accounted += seconds
        print(f"  {part:55} {seconds / requests * 1000:7.2f} ms  {timings.calls[part] / requests:5.1f} calls")
    print(f"  {'the rest: middleware, DRF, Python of auth/permissions':55} {(total - accounted) / requests * 1000:7.2f} ms"
          "  (the service's own Python included)")
