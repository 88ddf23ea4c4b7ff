"""Celery tasks: thin, take ids, idempotent (claims make a second run a no-op). Routes in settings.

A task that lost its database (PostgreSQL restarted, a failover) is retried at once, on a new connection,
rather than dropped: what it had claimed is resumed by the sweeper when the claims' lease runs out.
"""

from typing import Any

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection

from . import planner, reconcile, sender, sweeper

# Connection lost or refused: worth another try in a moment. Not IntegrityError and the like (a bug: retrying
# would not help).
DATABASE_GONE = (OperationalError, InterfaceError)
RETRY = {"bind": True, "max_retries": 60, "acks_late": True}


def _retry_without_database(task: Task, error: DatabaseError) -> Any:
    """Drop the broken connection (the next query opens a new one) and run again in 1-5 s."""
    try:
        connection.close()
    except DatabaseError:
        close_old_connections()
    countdown = min(1 + task.request.retries, 5)
    raise task.retry(exc=error, countdown=countdown)


@shared_task(**RETRY)
def plan_message(self: Task, message_id: int) -> int:
    try:
        return planner.plan(message_id)
    except DATABASE_GONE as error:
        return _retry_without_database(self, error)


@shared_task(**RETRY)
def send_push(self: Task, delivery_ids: list[int]) -> int:
    try:
        return sender.send_push(delivery_ids)
    except DATABASE_GONE as error:
        return _retry_without_database(self, error)


@shared_task(**RETRY)
def send_sms(self: Task, delivery_ids: list[int]) -> int:
    try:
        return sender.send_sms(delivery_ids)
    except DATABASE_GONE as error:
        return _retry_without_database(self, error)


@shared_task(**RETRY)
def check_sms(self: Task, delivery_ids: list[int]) -> dict[str, int]:
    try:
        return reconcile.check_sms(delivery_ids)
    except DATABASE_GONE as error:
        return _retry_without_database(self, error)


@shared_task
def sweep_outbox() -> dict[str, int]:
    return sweeper.sweep()


@shared_task
def purge_old_deliveries() -> int:
    return sweeper.purge()
