"""Celery tasks: thin, take ids, idempotent (claims make a second run a no-op). Routes in settings."""

from celery import shared_task

from . import planner, sender, sweeper


@shared_task
def plan_message(message_id: int) -> int:
    return planner.plan(message_id)


@shared_task
def send_push(delivery_ids: list[int]) -> int:
    return sender.send_push(delivery_ids)


@shared_task
def send_sms(delivery_ids: list[int]) -> int:
    return sender.send_sms(delivery_ids)


@shared_task
def sweep_outbox() -> dict[str, int]:
    return sweeper.sweep()


@shared_task
def purge_old_deliveries() -> int:
    return sweeper.purge()
