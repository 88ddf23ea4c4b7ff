"""The WSGI application (gunicorn vigilants.wsgi): the API's and the pages' middleware chains (handlers.py).
gunicorn runs no system checks: a configuration error (vigilants/checks.py) stops the worker here, with the
messages, instead of serving with it."""

import os

import django

from vigilants.checks import refuse_to_start
from vigilants.handlers import ServiceWSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigilants.settings")
django.setup(set_prefix=False)  # as get_wsgi_application() does: the handler sets the prefix per request
application = ServiceWSGIHandler()
refuse_to_start("the web server (vigilants.wsgi)")
