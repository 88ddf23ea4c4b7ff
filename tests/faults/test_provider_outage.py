"""FCM and Twilio refusing everything for minutes (503, 500, 429), then back."""

import time
from collections.abc import Callable

import pytest

from .harness import Stack
from .observer import Observer, assert_once_in_time, judge

pytestmark = pytest.mark.integration

OUTAGE_SECONDS = 150.0
# Each service's refusal changes halfway through: what a provider answers in a long incident varies.
FAULTS = {"fcm": (503, 500), "twilio": (500, 429)}


def test_everyone_is_shown_once_within_a_minute_of_a_long_provider_outage_ending(
    stack: Stack, report: Callable[[str], None]
) -> None:
    assert stack.town is not None
    half = OUTAGE_SECONDS / 2
    for service, (first, second) in FAULTS.items():
        # The fake answers with the first live fault that matches: `first` for half the outage, then `second`.
        stack.fake.fail(first, service=service, seconds=half)
        stack.fake.fail(second, service=service, seconds=OUTAGE_SECONDS)
    outage_end = time.monotonic() + OUTAGE_SECONDS
    observer = Observer(stack.fake, stack.town.members)
    alert = stack.broadcast("Alerte")
    time.sleep(max(0.0, outage_end - time.monotonic()))
    observer.poll()
    report(f"provider back after {OUTAGE_SECONDS:.0f} s ({FAULTS}); {len(stack.fake.requests)} requests received "
           f"during the outage, {sum(1 for n in observer.current.values() if n)} shown; {stack.row_summary(alert)}")  # fmt: skip
    verdict = judge(stack, alert, observer, outage_end, report, "after the provider came back")
    assert_once_in_time(stack, alert, verdict)
