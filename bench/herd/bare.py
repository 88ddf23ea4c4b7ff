"""The bare stack the service is measured against: Django and DRF in the same gunicorn, nothing else (no
middleware, no database, no authentication, no throttle). `/empty` answers `{}`; `/list` twenty rows shaped
like the service's alerts, from memory, paginated like the service's lists.

    gunicorn --chdir bench/herd bare:application
"""

from django.conf import settings

settings.configure(
    DEBUG=False, SECRET_KEY="bare-stack-only",  # noqa: S106 - serves nothing secret
    ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, MIDDLEWARE=[],
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [], "DEFAULT_PERMISSION_CLASSES": [],
                    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
                    "UNAUTHENTICATED_USER": None},
)  # fmt: skip

import django  # noqa: E402

django.setup()

from django.urls import path  # noqa: E402
from rows import Empty, Rows  # noqa: E402

urlpatterns = [path("empty", Empty.as_view()), path("list", Rows.as_view())]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
