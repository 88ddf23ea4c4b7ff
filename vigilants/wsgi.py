"""The WSGI application (gunicorn vigilants.wsgi). gunicorn runs no system checks: a configuration error
(vigilants/checks.py) stops the worker here, with the messages, instead of serving with it."""

import os

from django.core.wsgi import get_wsgi_application

from vigilants.checks import refuse_to_start

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
application = get_wsgi_application()
refuse_to_start("the web server (vigilants.wsgi)")
