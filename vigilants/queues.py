"""The Celery queues the project routes to, declared so that a plain `celery -A vigilants worker` serves them
all (`-Q push` still gives a queue machines of its own). No Django here: settings build them from the URL."""

from kombu import Exchange, Queue

NAMES = ("default", "push", "sms", "voice")


def on_rabbitmq(broker_url: str) -> bool:
    return broker_url.startswith(("amqp", "pyamqp"))


def task_queues(broker_url: str) -> list[Queue]:
    """On RabbitMQ, quorum queues: replicated and durable, they keep what was published through a broker
    restart; their countdowns (retries) go through Celery's native delayed delivery, which needs topic
    exchanges. On Redis, plain lists behind direct exchanges."""
    rabbit = on_rabbitmq(broker_url)
    arguments = {"x-queue-type": "quorum"} if rabbit else None
    return [Queue(name, Exchange(name, type="topic" if rabbit else "direct"), routing_key=name, queue_arguments=arguments)
            for name in NAMES]  # fmt: skip
