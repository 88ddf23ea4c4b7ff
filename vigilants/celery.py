"""The Celery app: `celery -A vigilants worker` and `celery -A vigilants beat`.

Both refuse to start on a configuration error (vigilants/checks.py), as gunicorn does (vigilants/wsgi.py):
Celery runs Django's system checks and ignores what they find. Both keep Django's LOGGING, whose handler
masks phone numbers and tokens, instead of Celery's own (which would replace it): the worker's stdout,
turned into log records, goes through it too.
"""

import logging
import os
from typing import Any

from celery import Celery, Task
from celery.signals import after_setup_logger, after_setup_task_logger, beat_init, task_prerun, worker_init
from celery.utils.log import get_multiprocessing_logger
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")

app = Celery("vigilants")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery would otherwise empty the root logger's handlers, the masking one included.
app.conf.update(worker_hijack_root_logger=False)
app.autodiscover_tasks()


@worker_init.connect
def check_worker_configuration(**_: Any) -> None:
    _refuse_to_start("celery worker")


@beat_init.connect
def check_beat_configuration(**_: Any) -> None:
    _refuse_to_start("celery beat")


def _refuse_to_start(process: str) -> None:
    import django
    from django.apps import apps

    if not apps.ready:  # done already by Celery's Django fixup; setting up again would redo the logging
        django.setup()
    from vigilants.checks import StartupRefused, refuse_to_start

    try:
        refuse_to_start(process)
    except StartupRefused:
        raise SystemExit(1) from None  # an exception would only be logged by Celery's signal


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_celery_handlers(logger: logging.Logger | None = None, **_: Any) -> None:
    """The handlers Celery adds (task logger, multiprocessing logger) mask personal data too."""
    from vigilants.logfilters import redact_handlers

    for each in (logger, get_multiprocessing_logger()):
        if each is not None:
            redact_handlers(each)


@task_prerun.connect
def reuse_healthy_connections(sender: Task | None = None, **_: Any) -> None:
    """What Django does between requests: drop a connection that broke (PostgreSQL restarted) or is older
    than CONN_MAX_AGE, keep the others (CELERY_DB_REUSE_MAX). Never for in-process tasks: they run
    inside the caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()
