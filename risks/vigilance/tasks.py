"""The beat task (vigilants/settings.py, every VIGILANCE_READ_SECONDS): thin, it only calls the reader."""

from celery import shared_task

from .reader import read_all


@shared_task(name="risks.tasks.read_vigilance", ignore_result=True)
def read_vigilance() -> None:
    read_all()
