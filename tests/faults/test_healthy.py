"""No fault: the baseline every fault test is measured against, and the plain worker the others rely on."""

import time
from collections.abc import Callable

import pytest

from .harness import Stack
from .observer import Observer, Verdict, assert_once_in_time, judge

pytestmark = pytest.mark.integration

ROUNDS = 3  # an outside tester saw two members' pushes late or lost in two runs of five
# Healthy, 60 members take 1-2 s here. Anything the safety net had to recover (a lost task, an expired claim)
# comes 30 s or more after (grace and lease of 30 s): "late" is well past this.
QUICK_SECONDS = 15.0


def assert_quick(verdict: Verdict) -> None:
    assert verdict.last_after is not None and verdict.last_after <= QUICK_SECONDS, (
        f"healthy, yet the last member was reached {verdict.last_after} s after the broadcast"
    )


def test_a_healthy_broadcast_is_shown_to_every_member_once_quickly(stack: Stack, report: Callable[[str], None]) -> None:
    assert stack.town is not None
    verdicts = []
    for round_number in range(1, ROUNDS + 1):
        observer = Observer(stack.fake, stack.town.members)
        posted = time.monotonic()
        alert = stack.broadcast(f"Alerte {round_number}")
        verdicts.append((alert, judge(stack, alert, observer, posted, report, f"round {round_number}")))
    for alert, verdict in verdicts:  # every round printed first, then judged
        assert_once_in_time(stack, alert, verdict)
        assert_quick(verdict)


def test_a_plain_worker_sends_push_and_sms(stack: Stack, report: Callable[[str], None]) -> None:
    """The README's production line gives -Q; a plain `celery -A vigilants worker` must serve every queue too."""
    assert stack.town is not None
    (worker,) = stack.workers
    command = worker.args
    assert isinstance(command, list), command
    assert "-Q" not in command and "--queues" not in command, command
    observer = Observer(stack.fake, stack.town.members)
    posted = time.monotonic()
    alert = stack.broadcast("Alerte")
    verdict = judge(stack, alert, observer, posted, report, "plain worker")
    assert any(c == "push" and n for (c, _), n in verdict.shown.items()), "no push shown"
    assert any(c == "sms" and n for (c, _), n in verdict.shown.items()), "no SMS shown"
    assert_once_in_time(stack, alert, verdict)
    assert_quick(verdict)
