"""The Celery app: `celery -A vigilants worker` and `celery -A vigilants beat`."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")

app = Celery("vigilants")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def reuse_healthy_connections(sender: Task | None = None, **_: Any) -> None:
    """What Django does between requests: drop a connection that broke (PostgreSQL restarted) or is older
    than CONN_MAX_AGE, keep the others (CELERY_DB_REUSE_MAX). Never for in-process tasks: they run
    inside the caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()
