"""A worker SIGKILLed mid-fan-out, pool children and all, with pushes in flight at the provider."""

import time
from collections.abc import Callable

import pytest

from .harness import Stack
from .observer import Observer, assert_once_in_time, judge
from .timeline import into_fan_out

pytestmark = pytest.mark.integration

LATENCY = 0.4  # slow enough that a pool's 32 requests are in flight when the kill lands


def test_a_worker_killed_mid_fan_out_leaves_nobody_unshown_or_shown_twice(stack: Stack, report: Callable[[str], None]) -> None:
    assert stack.town is not None
    stack.fake.configure(latency=LATENCY)
    observer = Observer(stack.fake, stack.town.members)
    posted = time.monotonic()
    alert = stack.broadcast("Alerte")
    flying = into_fan_out(stack, posted, LATENCY)
    (worker,) = stack.workers
    stack.kill_worker(worker)
    killed = time.monotonic()
    received = len(stack.fake.pushes())
    report(f"SIGKILL {killed - posted:.1f} s into the broadcast with {flying} pushes in flight "
           f"({received} received by the provider in all)")  # fmt: skip
    stack.start_worker()
    verdict = judge(stack, alert, observer, killed, report, "after the kill")
    assert_once_in_time(stack, alert, verdict)
