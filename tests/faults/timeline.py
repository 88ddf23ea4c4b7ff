"""When to strike: "1 s into a fan-out", with pushes in flight at the (slowed) provider."""

import time

from .harness import Stack, wait_until

INTO_SECONDS = 1.0
# Half of a worker process's FCM requests in flight (fcm_curl.IN_FLIGHT = fcm_fast.POOL_SIZE = 32): the fault lands on
# a full wave of requests in flight, not on a gap between two waves or before the fan-out began.
IN_FLIGHT = 16


def in_flight(stack: Stack, latency: float) -> int:
    """Push requests the fake received less than `latency` ago: it has not answered them yet."""
    since = time.time() - latency
    return sum(1 for r in list(stack.fake.requests) if r.path.endswith("/messages:send") and r.at > since)


def into_fan_out(stack: Stack, posted: float, latency: float, seconds: float = INTO_SECONDS) -> int:
    """Wait until `seconds` after the broadcast with IN_FLIGHT pushes in flight; returns how many are."""
    wait_until(lambda: time.monotonic() - posted >= seconds and in_flight(stack, latency) >= IN_FLIGHT, 30,
               "pushes in flight at the provider", interval=0.01)  # fmt: skip
    return in_flight(stack, latency)
