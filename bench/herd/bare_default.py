"""A second bare reference: the same two endpoints (rows.py) in a project as `django-admin startproject` makes
it, with DRF's default settings: Django's default middleware (security, sessions, common, CSRF,
authentication, messages, clickjacking), DRF's default authentication (session, then basic) and renderers
(JSON and the browsable API), no throttle, no database query (an anonymous request reads no session). What a
plain Django and DRF application costs before it does anything, as against bare.py's nothing at all.

    gunicorn --chdir bench/herd bare_default:application
"""

from django.conf import settings

settings.configure(
    DEBUG=False, SECRET_KEY="bare-stack-only",  # noqa: S106 - serves nothing secret
    ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
                    "rest_framework"],
    MIDDLEWARE=["django.middleware.security.SecurityMiddleware",
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware",
                "django.middleware.clickjacking.XFrameOptionsMiddleware"],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                   "django.contrib.auth.context_processors.auth",
                                                   "django.contrib.messages.context_processors.messages"]}}],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    STATIC_URL="static/", USE_TZ=True,
)  # fmt: skip

import django  # noqa: E402

django.setup()

from django.urls import path  # noqa: E402
from rows import Empty, Rows  # noqa: E402

urlpatterns = [path("empty", Empty.as_view()), path("list", Rows.as_view())]

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
