"""What the sweeper asks the broker: did it forget everything (restarted without persistence, flushed), and
is a queue empty. Both answer "no" when the broker cannot be asked: presuming a task lost costs a no-op
run, but only a broker that answers can say so, and the 600 s catch-all covers the rest."""

import logging
import uuid

from django.conf import settings

log = logging.getLogger(__name__)

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
