"""Publishing tasks to the broker without ever failing the caller.

The outbox row is the job: if Redis is down when a request commits, the alert is accepted anyway and the
sweeper (notifications/sweeper.py) publishes the job later. So publishing errors are logged, never raised.
"""

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from celery import current_app
from kombu import pools

from vigilants.breaker import CircuitBreaker

from .models import Channel, Delivery

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_BATCH = 500  # one send task per ≤500 deliveries (FCM's multicast limit), never one per recipient
CHECK_BATCH = 50  # SMS looked up in the provider's record per task: one list request each
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


# The tasks (notifications/tasks.py) by name: they call the planner and the sender, which publish through
# this module, so importing them here would close a loop.
PLAN_TASK = "notifications.tasks.plan_message"
SEND_TASKS = {Channel.PUSH: "notifications.tasks.send_push", Channel.SMS: "notifications.tasks.send_sms"}
CHECK_TASK = "notifications.tasks.check_sms"


def publish_plan(message_id: int) -> bool:
    return _publish(PLAN_TASK, [message_id], countdown=None, what=f"plan message {message_id}")


def publish_sends(channel: str, delivery_ids: Sequence[int], countdown: float | None = None) -> int:
    """Publish send tasks for these deliveries in batches; returns how many tasks went out."""
    task = SEND_TASKS[Channel(channel)]
    published = 0
    for batch in chunks(delivery_ids, SEND_BATCH):
        published += _publish(task, [batch], countdown, what=f"{channel} x{len(batch)}")
    return published


def publish_checks(delivery_ids: Sequence[int]) -> int:
    """Publish tasks that ask the SMS provider whether these may-have-left SMS left (reconcile.py)."""
    published = 0
    for batch in chunks(delivery_ids, CHECK_BATCH):
        published += _publish(CHECK_TASK, [batch], None, what=f"check x{len(batch)}")
    return published


def publish_or_release(channel: str, delivery_ids: Sequence[int], countdown: float | None = None) -> int:
    """publish_sends(), and for any batch the broker refused, forget it was published, so that the
    next sweep (30 s) publishes it instead of waiting for the lost-task timeout."""
    published = 0
    for batch in chunks(delivery_ids, SEND_BATCH):
        if publish_sends(channel, batch, countdown):
            published += 1
        else:
            Delivery.objects.filter(pk__in=batch).update(dispatched_at=None)
    return published


def chunks(items: Sequence[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _publish(task: str, args: Sequence[object], countdown: float | None, what: str) -> bool:
    """Publish, or return False at once while the broker is known to be down (the sweeper publishes later)."""
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
