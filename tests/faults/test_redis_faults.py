"""Redis (broker, cache, SMS rate) stopped or restarted empty: queued tasks are lost, nothing else may be."""

import time
from collections.abc import Callable

import pytest
import redis

from .harness import Stack, wait_until
from .observer import Observer, assert_once_in_time, judge
from .timeline import into_fan_out

pytestmark = pytest.mark.integration

QUEUES = ("default", "push", "sms")
LATENCY = 0.4  # the provider is slowed so that the fan-out is still going 1 s in


def queued(stack: Stack) -> dict[str, int]:
    client = redis.Redis(port=stack.redis.port)
    return {name: int(client.llen(name)) for name in QUEUES}


def planned_and_queued(stack: Stack, alert_id: int) -> bool:
    status, rows = stack.deliveries(alert_id)
    return status == "planned" and bool(rows) and queued(stack)["push"] > 0


def wait_lost_plan(stack: Stack, alert_id: int) -> None:
    """No worker: the planning task waits in Redis."""
    wait_until(lambda: queued(stack)["default"] > 0, 10, "the planning task queued")


def wait_lost_sends(stack: Stack, alert_id: int) -> None:
    """Planned by a worker of the default queue only (a deployment giving push and SMS their own machines,
    as the README advises, with those down): the send tasks wait in Redis; then that worker stops too."""
    stack.start_worker("-Q", "default")
    wait_until(lambda: planned_and_queued(stack, alert_id), 30, "the broadcast planned, its sends queued", 0.1)
    stack.stop_workers()


@pytest.mark.parametrize("lost", [wait_lost_plan, wait_lost_sends], ids=["plan-queued", "sends-queued"])
def test_queued_tasks_lost_with_redis_are_found_again(
    stack: Stack, report: Callable[[str], None], lost: Callable[[Stack, int], None]
) -> None:
    assert stack.town is not None
    stack.stop_workers()
    observer = Observer(stack.fake, stack.town.members)
    alert = stack.broadcast("Alerte")
    lost(stack, alert)
    waiting = queued(stack)
    stack.redis.restart()
    back = time.monotonic()
    report(f"Redis restarted empty with {waiting} tasks queued; {stack.row_summary(alert)}")
    stack.start_worker()
    verdict = judge(stack, alert, observer, back, report, "after Redis came back")
    assert_once_in_time(stack, alert, verdict)


def test_redis_restarted_mid_fan_out(stack: Stack, report: Callable[[str], None]) -> None:
    assert stack.town is not None
    stack.fake.configure(latency=LATENCY)
    observer = Observer(stack.fake, stack.town.members)
    posted = time.monotonic()
    alert = stack.broadcast("Alerte")
    flying = into_fan_out(stack, posted, LATENCY)
    stack.redis.restart()
    back = time.monotonic()
    report(f"Redis restarted {back - posted:.1f} s into the broadcast with {flying} pushes in flight")
    verdict = judge(stack, alert, observer, back, report, "after Redis came back")
    assert_once_in_time(stack, alert, verdict)


def timed(call: Callable[[], tuple[int, object]]) -> tuple[int, float]:
    started = time.monotonic()
    status = call()[0]
    return status, time.monotonic() - started


def test_a_broadcast_is_accepted_and_read_while_redis_is_down(stack: Stack, report: Callable[[str], None]) -> None:
    assert stack.town is not None
    observer, mayor, insee = Observer(stack.fake, stack.town.members), stack.mayor(), stack.town.insee
    stack.redis.stop()
    started = time.monotonic()
    status, body = stack.post_broadcast("Alerte")
    answers = {"broadcast": (status, time.monotonic() - started)}
    alert = int(body["id"]) if status == 201 else None
    if alert is not None:
        answers["report"] = timed(lambda: mayor.call("GET", f"/api/v1/alerts/{alert}/deliveries"))
    answers["alerts"] = timed(lambda: mayor.call("GET", f"/api/v1/alerts?commune={insee}"))
    answers["healthz"] = timed(lambda: (stack.get("/healthz")[0], None))
    report("Redis down: " + ", ".join(f"{name} {code} in {took:.1f} s" for name, (code, took) in answers.items()))
    assert alert is not None, f"the broadcast was not accepted while Redis was down: {status} {str(body)[:200]}"
    stack.redis.start()
    back = time.monotonic()
    verdict = judge(stack, alert, observer, back, report, "after Redis came back")
    assert answers["report"][0] == 200 and answers["alerts"][0] == 200, answers
    assert answers["healthz"][0] == 503, answers
    assert_once_in_time(stack, alert, verdict)
