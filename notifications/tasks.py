"""Celery tasks: thin, take ids, idempotent (claims make a second run a no-op). Routes in settings.

A task that lost its database (PostgreSQL restarted, a failover) is retried at once, on a new connection,
rather than dropped: what it had claimed is resumed by the sweeper when the claims' lease runs out.
"""

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection

from . import planner, reconcile, sender, sweeper

# Connection lost or refused: worth another try in a moment. Not IntegrityError and the like (a bug: retrying
# would not help).
DATABASE_GONE = (OperationalError, InterfaceError)
MAX_RETRIES = 60


def _retry_without_database(task: Task[Any, Any], error: OperationalError | InterfaceError) -> Any:
    """Drop the broken connection (the next query opens a new one) and run again in 1-5 s."""
    try:
        connection.close()
    except DatabaseError:
        close_old_connections()
    countdown = min(1 + task.request.retries, 5)
    raise task.retry(exc=error, countdown=countdown)


def survives_database_loss(name: str, run: Callable[[Any], Any]) -> Any:
    """The task `notifications.tasks.<name>`, taking ids, that retries rather than dies when its database
    connection is lost."""

    def task(self: Task[Any, Any], ids: Any) -> Any:
        try:
            return run(ids)
        except DATABASE_GONE as error:
            return _retry_without_database(self, error)

    return shared_task(name=f"{__name__}.{name}", bind=True, max_retries=MAX_RETRIES, acks_late=True)(task)


# Lambdas, so that each call looks the function up (tests replace them).
plan_message = survives_database_loss("plan_message", lambda message_id: planner.plan(message_id))
send_push = survives_database_loss("send_push", lambda ids: sender.send_push(ids))
send_sms = survives_database_loss("send_sms", lambda ids: sender.send_sms(ids))
check_sms = survives_database_loss("check_sms", lambda ids: reconcile.check_sms(ids))


@shared_task
def sweep_outbox() -> dict[str, int]:
    return sweeper.sweep()


@shared_task
def purge_old_deliveries() -> int:
    return sweeper.purge()
