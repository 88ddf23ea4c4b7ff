"""Talking to the broker: publishing a task without ever failing the caller, and what the sweeper asks.

Publishing: the outbox row is the job, so when the broker is down a publish is logged, never raised, and the
sweeper publishes later; after one fails the next skip the broker at once (the breaker) instead of each waiting.
Each step of the path publishes the next one's task through `publish` (planner.publish_plan,
sender.publish_or_release, reconcile.publish_checks).

The sweeper's questions: did the broker forget everything (restarted without persistence, flushed), and is a
queue empty. Both answer "no" when the broker cannot be asked: presuming a task lost costs a no-op run, but
only a broker that answers can say so, and the 600 s catch-all covers the rest.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from celery import current_app
from django.conf import settings
from kombu import pools

from vigilants.breaker import CircuitBreaker

log = logging.getLogger(__name__)
T = TypeVar("T")

# Fail fast when the broker is down: the sweeper is the retry.
_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Without these a broker that stops answering (host gone, half-open connection) holds a publish, and so the
# request that committed the alert, forever (kombu's Redis transport has no socket timeout by default) or for
# the system's connect timeout (over 2 minutes). With the one retry above, a publish gives up within ~1 s.
PUBLISH_TIMEOUT_SECONDS = 0.4
_PUBLISH_TIMEOUTS_REDIS = {"socket_timeout": PUBLISH_TIMEOUT_SECONDS, "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS}
_PUBLISH_TIMEOUTS_AMQP = {"read_timeout": PUBLISH_TIMEOUT_SECONDS, "write_timeout": PUBLISH_TIMEOUT_SECONDS}
# After a failed publish, the next ones during the outage skip the broker at once instead of each waiting.
BROKER_BREAKER = CircuitBreaker("notifications: broker", log, "publishing left to the sweeper", cooldown=5.0)


def publish(task: str, args: Sequence[object], countdown: float | None, what: str) -> bool:
    """Publish the task named `task`, or return False at once while the broker is known to be down."""
    app = current_app
    eager = bool(app.conf.task_always_eager)
    # In-process tasks touch no broker: a task failing there must not hold the next publishes back.
    if not eager and not BROKER_BREAKER.allows():
        return False
    try:
        with _producer(app, eager) as producer:
            options: dict[str, Any] = {"producer": producer, "retry": True, "retry_policy": _RETRY_POLICY}
            if countdown is not None:
                options["countdown"] = countdown
            app.signature(task).apply_async(tuple(args), **options)
    except Exception as exc:  # noqa: BLE001 - the broker being down must never fail the caller
        if eager:
            log.warning("notifications: could not publish %s (%s); the sweeper will", what, type(exc).__name__)
        else:
            BROKER_BREAKER.failed(exc)  # logs once per outage, not once per publish
        return False
    if not eager:
        BROKER_BREAKER.succeeded()
    return True


def chunks(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _producer(app: Any, eager: bool) -> AbstractContextManager[Any]:
    """A producer whose connection gives up quickly (None in-process: Celery's own then serves)."""
    if eager:
        return nullcontext()
    url = app.conf.broker_write_url  # falls back to broker_url
    options = _PUBLISH_TIMEOUTS_REDIS if url.startswith(("redis", "unix")) else _PUBLISH_TIMEOUTS_AMQP
    connection = app.connection_for_write(connect_timeout=PUBLISH_TIMEOUT_SECONDS, transport_options=options)
    # kombu keeps one pool per connection parameters: the same pool comes back on every call.
    producer: AbstractContextManager[Any] = pools.producers[connection].acquire(block=True, timeout=PUBLISH_TIMEOUT_SECONDS)
    return producer

# Written once into the broker's own database: a broker that lost it lost its queues with it.
EPOCH_KEY = "vigilants:broker-epoch"


def forgot_everything() -> bool:
    """True once after the broker came back empty (and on its very first use, when nothing waits anyway)."""
    if not settings.BROKER_IS_REDIS or _in_process():
        return False  # RabbitMQ's quorum queues survive a restart; a lost queue is still found by queue_is_empty
    from vigilants.celery import app

    try:
        # Kombu's own client for the broker: the URL's options (TLS, timeouts) as the workers read them.
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            # kombu's stub types default_channel as the abstract StdChannel; Redis's Channel has the client.
            client = connection.default_channel.client  # type: ignore[attr-defined]
            return bool(client.set(EPOCH_KEY, uuid.uuid4().hex, nx=True))
    except Exception as error:  # noqa: BLE001 - cannot tell: the empty-queue rule and the catch-all remain
        log.warning("notifications: broker epoch unreadable (%s)", type(error).__name__)
        return False


def queue_is_empty(name: str) -> bool:
    """Nothing waits in the queue `name` (tasks a worker holds are running, or due later, not waiting)."""
    if _in_process():
        return False  # in-process tasks: nothing is ever queued, nothing lost
    from vigilants.celery import app

    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            return _size(connection.default_channel, name) == 0
    except Exception as error:  # noqa: BLE001 - whatever the transport raises, the answer is "cannot tell"
        log.warning("notifications: queue %s unreadable (%s)", name, type(error).__name__)
        return False


def _size(channel: object, name: str) -> int:
    from amqp.exceptions import NotFound
    from kombu.exceptions import ChannelError

    try:
        return int(channel.queue_declare(queue=name, passive=True).message_count)  # type: ignore[attr-defined]
    except (NotFound, ChannelError):
        return 0  # Redis drops an empty list: a queue with nothing in it does not exist


def _in_process() -> bool:
    from vigilants.celery import app

    return bool(app.conf.task_always_eager)
