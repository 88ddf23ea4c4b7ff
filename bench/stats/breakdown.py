"""Where one commune statistics request spends its time, in-process: `run.py --profile`.

Times the parts a request goes through by wrapping them (not by sampling): the steps (authentication,
throttles, the commune's lookup and access rule, the statistics view), SQL statements (by the table they read
first), cache round trips (Redis: throttles, the statistics' cache), the statistics service, JSON rendering;
what no step covers is the way in and out (middleware, URL routing, DRF's dispatch) and the test client.
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


# Steps of the path, each timed whole (its SQL and cache round trips included): (label, class, method).
STEPS = [
    ("step: authentication (DRF)", "rest_framework.views.APIView", "perform_authentication"),
    ("step: throttles (DRF)", "rest_framework.views.APIView", "check_throttles"),
    ("step: commune lookup and access rule", "communes.views_base.CommuneScopedMixin", "get_commune"),
    ("step: access rule (within the lookup)", "communes.views_base.CommuneScopedMixin", "check_commune_access"),
    ("step: statistics view (lookup included)", "stats.views.CommuneStatisticsView", "get"),
]


def _patch_steps(timings: Timings) -> list[tuple[type, str, Callable]]:
    from importlib import import_module

    patched = []
    for label, path, name in STEPS:
        module, cls_name = path.rsplit(".", 1)
        cls = getattr(import_module(module), cls_name)
        original = cls.__dict__[name]

        def wrapper(self: Any, *args: Any, _original: Callable = original, _label: str = label, **kwargs: Any) -> Any:
            return timings.timed(_label, _original, self, *args, **kwargs)

        setattr(cls, name, wrapper)
        patched.append((cls, name, original))
    return patched


@contextmanager
def instrumented(timings: Timings) -> Iterator[None]:
    """Wraps the steps, the database, the cache, the statistics service and the renderer while inside."""
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
    patched = _patch_steps(timings)
    try:
        with connection.execute_wrapper(on_query):
            yield
    finally:
        FallbackRedisCache._call, JSONRenderer.render = call, render
        if service is not None:
            views.commune_statistics = service
        for cls, name, original in patched:
            setattr(cls, name, original)


def report(timings: Timings, label: str, requests: int, total: float) -> None:
    """Steps first (each with what it waits for), then every query and round trip; what no step or wrapper
    covers is the request's way in and out: middleware, URL routing, DRF's dispatch, the test client."""
    print(f"where a request's time goes, {label} ({requests} requests, mean per request; wall {total / requests * 1000:.2f} ms):")
    nested = ("statistics service", "step: access rule", "step: commune lookup")
    for part, seconds in sorted(timings.seconds.items(), key=lambda item: (not item[0].startswith("step"), -item[1])):
        print(f"  {part:55} {seconds / requests * 1000:7.2f} ms  {timings.calls[part] / requests:5.1f} calls")
    outside = total - sum(seconds for part, seconds in timings.seconds.items()
                          if part.startswith("step") and not part.startswith(nested))  # fmt: skip
    print(f"  {'outside the steps: middleware, routing, DRF dispatch, client':55} {outside / requests * 1000:7.2f} ms")
