"""The Celery app: `celery -A vigilants worker` and `celery -A vigilants beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")

app = Celery("vigilants")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
