"""PostgreSQL restarted mid-fan-out: every process's connections break at once, in-flight writes are lost."""

import time
from collections.abc import Callable

import pytest

from .harness import Stack
from .observer import Observer, assert_once_in_time, judge
from .timeline import into_fan_out

pytestmark = pytest.mark.integration

LATENCY = 0.5  # the provider answers in 0.5 s: results are still being recorded when the server goes


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restarted_mid_fan_out(stack: Stack, report: Callable[[str], None], mode: str) -> None:
    assert stack.town is not None
    stack.fake.configure(latency=LATENCY)
    observer = Observer(stack.fake, stack.town.members)
    posted = time.monotonic()
    alert = stack.broadcast("Alerte")
    flying = into_fan_out(stack, posted, LATENCY)
    struck = time.monotonic()
    stack.postgres.restart(mode)  # returns once the server accepts connections again
    back = time.monotonic()
    report(f"pg_ctl restart -m {mode} {struck - posted:.1f} s into the broadcast with {flying} pushes in flight, "
           f"back after {back - struck:.1f} s")  # fmt: skip
    verdict = judge(stack, alert, observer, back, report, "after PostgreSQL came back")
    assert_once_in_time(stack, alert, verdict)
