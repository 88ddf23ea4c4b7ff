"""Celery's autodiscovery imports `risks.tasks`: the tasks themselves live next to what they run."""

from .vigilance import tasks as vigilance_tasks  # noqa: F401 (registers risks.tasks.read_vigilance)
