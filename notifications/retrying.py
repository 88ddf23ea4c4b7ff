"""Celery tasks that survive the loss of their database: the factory the notifications' tasks are made with.

A task that lost its database (PostgreSQL restarted, a failover) is retried at once, on a new connection,
rather than dropped: what it had claimed is resumed by the sweeper when the claims' lease runs out.
"""

from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection

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
    """The Celery task `name` (given in full: routes, the beat schedule and queued messages use it), taking
    ids, idempotent (claims make a second run a no-op), that retries rather than dies when its database
    connection is lost. Pass a lambda as `run`, so that each call looks the function up (tests replace it)."""

    def task(self: Task[Any, Any], ids: Any) -> Any:
        try:
            return run(ids)
        except DATABASE_GONE as error:
            return _retry_without_database(self, error)

    return shared_task(name=name, bind=True, max_retries=MAX_RETRIES, acks_late=True)(task)
