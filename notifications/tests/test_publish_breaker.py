"""Publishing with the broker down fails fast (notifications/broker.py `publish`): at most about a second
for the first publish of an outage, nothing for the next ones while the breaker is open, one log line."""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kombu.exceptions import OperationalError

from notifications import broker, planner
from tests.throwaway_redis import free_port, needs_redis_server, silent_server, throwaway_redis
from vigilants.celery import app as celery_app


@pytest.fixture
def broker_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Tasks published for real (not in-process) to the broker URL given."""
    conf = celery_app.conf
    before = conf.broker_url, conf.task_always_eager
    monkeypatch.setattr(broker.BROKER_BREAKER, "cooldown", 0.3)
    broker.BROKER_BREAKER.reset()

    def point(url: str) -> None:
        conf.update(broker_url=url, task_always_eager=False)

    yield point
    conf.update(broker_url=before[0], task_always_eager=before[1])
    broker.BROKER_BREAKER.reset()


def publish() -> tuple[bool, float]:
    """publish_plan(), in a thread given 5 s: a publish hanging on a silent broker fails the test, not the run."""
    answer: list[bool] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answer.append(planner.publish_plan(1)), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert answer, "the publish still waits for the broker after 5 s"
    return answer[0], time.monotonic() - started


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
@pytest.mark.parametrize("down", ["refusing", "silent"])
def test_a_dead_broker_costs_one_short_wait_per_outage_and_one_log_line(
    broker_at: Callable[[str], None], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
    scheme: str, down: str,
) -> None:
    attempts: list[tuple[Any, ...]] = []
    producer = broker._producer

    def counted(*args: Any) -> Any:
        attempts.append(args)
        return producer(*args)

    monkeypatch.setattr(broker, "_producer", counted)
    with silent_server() as silent, caplog.at_level(logging.WARNING, logger="notifications.broker"):
        port = silent if down == "silent" else free_port()
        broker_at(f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://guest:guest@127.0.0.1:{port}//")
        first = publish()
        rest = [publish() for _ in range(20)]
    # One bounded wait (0.4 s timeouts, one retry; generous here, a hang would be the 5 s of publish()), then
    # the breaker skips the broker without asking it: counted, not timed, so a loaded machine cannot break it.
    assert first[0] is False and first[1] < 4, first
    assert not any(published for published, _ in rest)
    assert len(attempts) == 1
    assert len(caplog.records) == 1 and "unavailable" in caplog.records[0].getMessage()


@needs_redis_server
def test_publishing_resumes_once_the_broker_answers_again(broker_at: Callable[[str], None]) -> None:
    with throwaway_redis() as server:
        broker_at(server.url)
        assert publish()[0] is True
        server.stop()
        assert publish()[0] is False
        server.start()  # the same port
        assert publish()[0] is False  # the breaker is open: not even tried
        time.sleep(0.35)
        assert publish()[0] is True
        assert server.client().llen("default") == 1


def test_in_process_tasks_never_open_the_breaker(monkeypatch: pytest.MonkeyPatch) -> None:
    broker.BROKER_BREAKER.reset()

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Connection refused.")

    with monkeypatch.context() as down:
        down.setattr(planner.plan_message, "apply_async", broker_down)
        assert planner.publish_plan(1) is False
    assert not broker.BROKER_BREAKER.is_open
