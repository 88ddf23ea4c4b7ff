"""The one settings module: everything that differs between machines comes from the environment.

Embedded default (nothing set): SQLite file, tasks run in-process, console SMS and push.
Production: DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, provider variables.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from vigilants.queues import task_queues

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# With DEBUG=false the embedded defaults (console SMS and push, SQLite, no Redis) are configuration errors
# (vigilants/checks.py), unless this explicit switch says the machine runs the demo.
ALLOW_EMBEDDED = env.bool("ALLOW_EMBEDDED", default=False)

# No default secret outside DEBUG: a production start without SECRET_KEY must fail loudly.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY doit être défini (ou DEBUG=true pour le développement).")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts.apps.StaffAdminConfig",  # django.contrib.admin, verified by a TOTP code (accounts/staff_auth.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "axes",  # staff sign-in lockout
    "django_otp",
    "django_otp.plugins.otp_totp",  # staff's second factor
    "csp",
    "providers",
    "accounts",
    "communes",
    "alerts",
    "risks",
    "notifications",
    "stats",
    "audit",
    "continuity",
    "security",
    "demo",
    "desk",
    "vigilants.apps.VigilantsConfig",  # configuration checks (vigilants/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # An answer carrying an ETag (the residents' alert list) is a 304 to a client that already has it.
    "django.middleware.http.ConditionalGetMiddleware",
    "vigilants.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "vigilants.middleware.PrivateResponsesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionExpiryMiddleware",  # idle and absolute session lifetime
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the admin requires it
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigilants.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last: a locked-out sign-in answers 429 (accounts/staff_auth.py)
]
# API requests without a session cookie (the phone app, scripts, Twilio) take this shorter chain
# (vigilants/handlers.py): the guards that concern them, none of the pages' sessions, CSRF, messages, second
# factor or lockout.
API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "vigilants.middleware.RequestSizeLimitMiddleware",
    "vigilants.middleware.ApiContentPolicyMiddleware",
    "vigilants.middleware.PrivateResponsesMiddleware",
    "vigilants.middleware.ApiLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigilants.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "vigilants.urls"
WSGI_APPLICATION = "vigilants.wsgi.application"
# Paths answer with and without a trailing slash (see vigilants/urls.py): never redirect a POST.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stats.branding.brand",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "vigilants.postgresql"  # its health check polls the socket (base.py)
    # The hottest statements prepared once per connection (vigilants/prepared.py); off behind a pooler that
    # cannot keep a connection's prepared statements (PgBouncer in transaction mode before 1.21).
    DATABASES["default"]["PREPARED_STATEMENTS"] = env.bool("DB_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("Anglais"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

PHONENUMBER_DEFAULT_REGION = "FR"
PHONENUMBER_DB_FORMAT = "E164"

LOGIN_URL = "/dashboard/login/"

# --- Branding: each deployment shows its own name and colour (stats/branding.py) ---------------
# The dashboards never wear the State's identity, reserved to its own services (circulaire 6411-SG).
BRAND_NAME = env.str("BRAND_NAME", default="Vigilants")
BRAND_OPERATOR = env.str("BRAND_OPERATOR", default="")  # who runs the service, e.g. "Commune de Vence"
BRAND_PRIMARY_COLOR = env.str("BRAND_PRIMARY_COLOR", default="#0d6e6e")
if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", BRAND_PRIMARY_COLOR):
    raise ImproperlyConfigured("BRAND_PRIMARY_COLOR doit être une couleur hexadécimale, par exemple #0d6e6e.")
BRAND_LOGO_URL = env.str("BRAND_LOGO_URL", default="")  # served by this site: the pages load nothing else
BRAND_LEGAL_URL = env.str("BRAND_LEGAL_URL", default="")
BRAND_LEGAL_TEXT = env.str("BRAND_LEGAL_TEXT", default="")

# --- Maps (templates/maps/_map.html): Leaflet is served here; tiles only from a server the deployment names -----
# Empty: no background tiles, the commune's outline and the points alone, so that a closed network needs nothing
# else. Otherwise an OpenStreetMap-compatible template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")


def tile_origin(url: str) -> str:
    """The origin the pages load tiles from, for the Content-Security-Policy: Leaflet's {s} sub-domains
    (a.tile…, b.tile…) as one wildcard. An empty URL has none; one that is not a tile template stops the start."""
    if not url:
        return ""
    match = re.fullmatch(r"(https?://[^/?#]+)/\S*", url)
    if match is None or not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise ImproperlyConfigured(
            "MAP_TILE_URL doit être un modèle d'URL http(s) avec {z}, {x} et {y}, par exemple "
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png."
        )
    return match.group(1).replace("{s}", "*")


MAP_TILE_ORIGIN = tile_origin(MAP_TILE_URL)

# --- Redis: broker, cache, global rate limits --------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Throttles read the cache on every request: while Redis does not answer, each process falls back to its
    # own memory (vigilants/cache.py), so that the API keeps serving; the timeouts bound what one request waits.
    CACHES = {"default": {
        "BACKEND": "vigilants.cache.FallbackRedisCache", "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3},
    }}  # fmt: skip
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
# The broker is Redis by default; CELERY_BROKER_URL may name another (RabbitMQ: amqp://…, whose quorum
# queues survive a broker restart). Redis (REDIS_URL) stays the cache and the SMS rate's window.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://localhost/"
BROKER_IS_REDIS = CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://"))
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Without a broker the embedded default runs every task in-process, at once.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL.startswith("memory://")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only once done, so a worker killed mid-task gives it back to the queue.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes the database connection around every task unless told otherwise: each task of a fan-out
# would then start a new PostgreSQL backend with cold catalog caches (40-80 ms on each first query, see
# bench/fanout). Connections are kept, and vigilants/celery.py drops broken or old ones before each task.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Must exceed the longest task, or Redis hands an unfinished task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker went away keeps trying to come back, however long the outage (default: 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULE: dict = {
    "purge-expired-otps": {"task": "accounts.tasks.purge_expired_otps", "schedule": 3600.0},
    "escalate-pending-alerts": {"task": "alerts.tasks.escalate_pending_alerts", "schedule": 60.0},
    "anonymise-old-reports": {"task": "alerts.tasks.anonymise_old_reports", "schedule": 86400.0},
    "purge-rejected-memberships": {"task": "communes.tasks.purge_rejected_memberships", "schedule": 86400.0},
    # Every 10 s: a dead worker's claims and lost tasks are found well within the minute an alert has.
    # Dropped if not started within its period: a backlog of sweeps would only repeat each other.
    "notifications-sweep": {"task": "notifications.tasks.sweep_outbox", "schedule": 10.0, "options": {"expires": 9}},
    "notifications-purge": {"task": "notifications.tasks.purge_old_deliveries", "schedule": 86400.0},
    # What each finished message achieved, kept after its deliveries (the public yearly balance).
    "notifications-summaries": {"task": "notifications.tasks.summarise_messages", "schedule": 300.0},
    "purge-sign-in-records": {"task": "accounts.tasks.purge_sign_in_records", "schedule": 86400.0},
}
# --- The State's vigilance (risks/vigilance/) and CAP 1.2 (risks/cap.py) ----------------------------
# Each source is a URL; empty, it is not read: a fresh clone asks nothing from the internet. Vigicrues: the base of
# its services (https://www.vigicrues.gouv.fr/services/1); MeteoAlarm: France's Atom feed of CAP warnings
# (https://feeds.meteoalarm.org/feeds/meteoalarm-legacy-atom-france), Météo-France's vigilance by département;
# CAP_FEED_URLS: any other CAP 1.2 documents or Atom feeds of them, comma-separated. docs/vigilance.md.
VIGICRUES_URL = env.str("VIGICRUES_URL", default="").rstrip("/")
METEOALARM_FEED_URL = env.str("METEOALARM_FEED_URL", default="")
CAP_FEED_URLS = env.list("CAP_FEED_URLS", default=[])
VIGILANCE_READ_SECONDS = env.int("VIGILANCE_READ_SECONDS", default=300)
# One request to a source; short, so that a source that hangs never holds the worker.
VIGILANCE_TIMEOUT_SECONDS = env.float("VIGILANCE_TIMEOUT_SECONDS", default=10.0)
# A document older than this (by its own date) is stale: it changes no level, and staff see it.
VIGILANCE_STALE_AFTER_HOURS = env.int("VIGILANCE_STALE_AFTER_HOURS", default=26)
# The CAP documents' <sender> (a name unique to this deployment): by default, the host of PUBLIC_BASE_URL.
CAP_SENDER = env.str("CAP_SENDER", default="") or (urlsplit(PUBLIC_BASE_URL).hostname or "vigilants")
if VIGILANCE_READ_SECONDS > 0:
    # Dropped if not started within its period: two reads in a row would read the same documents.
    CELERY_BEAT_SCHEDULE["vigilance-read"] = {
        "task": "risks.tasks.read_vigilance", "schedule": float(VIGILANCE_READ_SECONDS),
        "options": {"expires": max(1, VIGILANCE_READ_SECONDS - 1)},
    }
# Push and SMS on their own queues: a slow SMS provider never delays push. Planning stays on default.
CELERY_TASK_ROUTES = {
    "notifications.tasks.send_push": {"queue": "push"},
    "notifications.tasks.send_sms": {"queue": "sms"},
    "notifications.tasks.send_voice": {"queue": "voice"},
    "notifications.tasks.check_calls": {"queue": "voice"},
}
CELERY_TASK_QUEUES = task_queues(CELERY_BROKER_URL)  # vigilants/queues.py

# --- Providers ------------------------------------------------------------------------------
SMS_BACKENDS = {
    "console": "providers.console.ConsoleSmsBackend",
    "twilio": "providers.twilio_sms.TwilioSmsBackend",
}
VOICE_BACKENDS = {
    "console": "providers.twilio_voice.ConsoleVoiceBackend",
    "twilio": "providers.twilio_voice.TwilioVoiceBackend",  # the same Twilio account as SMS
}
PUSH_BACKENDS = {
    "console": "providers.console.ConsolePushBackend",
    "fcm": "providers.fcm.fcm_backend",  # FCM_TRANSPORT picks the path
}
SMS_BACKEND = SMS_BACKENDS.get(env.str("SMS_BACKEND", default="console"), env.str("SMS_BACKEND", default="console"))
PUSH_BACKEND = PUSH_BACKENDS.get(
    env.str("PUSH_BACKEND", default="console"), env.str("PUSH_BACKEND", default="console")
)
VOICE_BACKEND = VOICE_BACKENDS.get(env.str("VOICE_BACKEND", default="console"), env.str("VOICE_BACKEND", default="console"))
# Voice calls (notifications/voice.py): their own global rate, retries of a busy or unanswered number, and the
# price of a started minute for the preview's estimate (Twilio's outbound calls to French landlines and mobiles).
CALLS_PER_SECOND = env.int("CALLS_PER_SECOND", default=5)
VOICE_RETRIES = env.int("VOICE_RETRIES", default=2)
VOICE_RETRY_SECONDS = env.int("VOICE_RETRY_SECONDS", default=300)
CALL_MINUTE_PRICE_EUR = env.float("CALL_MINUTE_PRICE_EUR", default=0.15)
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="https://api.twilio.com").rstrip("/")
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10.0)
FIREBASE_CREDENTIALS = env.str("FIREBASE_CREDENTIALS", default="")
FCM_API_BASE_URL = env.str("FCM_API_BASE_URL", default="https://fcm.googleapis.com").rstrip("/")
# FCM v1 from its documented wire format (fcm_wire.py): curl, libcurl's multi interface from the calling thread
# (fcm_curl.py, a fifth of fast's client CPU per push, measured in bench/fcm_clients.py); fast, a urllib3 pool
# and 32 threads (fcm_fast.py); sdk: firebase-admin send_each.
FCM_TRANSPORT = env.str("FCM_TRANSPORT", default="curl")
# curl over HTTP/2 (ALPN over TLS; prior knowledge on plain HTTP, the loopback fake): measured dearer per push
# than HTTP/1.1 keep-alive connections here (bench/fcm_clients.py), so off unless asked for.
FCM_HTTP2 = env.bool("FCM_HTTP2", default=False)
# How long one FCM request may take before its pushes are "unknown" (sent again later under their tag).
FCM_TIMEOUT_SECONDS = env.float("FCM_TIMEOUT_SECONDS", default=10.0)
SMS_MAX_PER_SECOND = env.int("SMS_MAX_PER_SECOND", default=10)
# What one SMS part costs, in euros: the mayor's preview of a warning estimates its cost with it (Twilio's
# price for France; a deployment with another contract sets its own). The carrier's bill is what counts.
SMS_SEGMENT_PRICE_EUR = env.float("SMS_SEGMENT_PRICE_EUR", default=0.0725)
# A claimed delivery whose worker holds it longer than this is presumed dead (see notifications/sweeper.py).
# 20 s: a push claim of 250 takes well under a second (4 s at a provider answering in 0.5 s); SMS claims
# are leased for their call's window plus its longest request (sender.sms_lease_seconds).
NOTIFICATIONS_LEASE_SECONDS = env.int("NOTIFICATIONS_LEASE_SECONDS", default=20)
NOTIFICATIONS_RETENTION_DAYS = env.int("NOTIFICATIONS_RETENTION_DAYS", default=90)
# The public yearly balance (stats/balance.py) publishes no count of people (or of their reports) under this,
# nor a share or a median computed from fewer: "< 5" on the page, null in the open data.
BALANCE_MIN_COUNT = env.int("BALANCE_MIN_COUNT", default=5)
# The sweeper (notifications/sweeper.py): a task published and not run after REDISPATCH is presumed lost
# whatever the broker says; one whose queue is empty after LOST_AFTER was lost; an alert not planned
# UNPLANNED_GRACE after it was accepted is planned by the sweeper.
NOTIFICATIONS_REDISPATCH_SECONDS = env.int("NOTIFICATIONS_REDISPATCH_SECONDS", default=600)
NOTIFICATIONS_LOST_AFTER_SECONDS = env.int("NOTIFICATIONS_LOST_AFTER_SECONDS", default=20)
NOTIFICATIONS_UNPLANNED_GRACE_SECONDS = env.int("NOTIFICATIONS_UNPLANNED_GRACE_SECONDS", default=15)

# --- Sign-in --------------------------------------------------------------------------------
OTP_TTL_SECONDS = 600
OTP_MAX_ATTEMPTS = 5
OTP_MAX_PER_PHONE = env.int("OTP_MAX_PER_PHONE", default=3)
OTP_PHONE_WINDOW_SECONDS = 600
# Codes go only to numbers of these regions (ISO 3166, by the number's prefix): France and its overseas
# departments and territories. Against SMS pumping to premium-rate numbers abroad.
OTP_ALLOWED_REGIONS = [region.upper() for region in env.list(
    "OTP_ALLOWED_REGIONS", default=["FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"])]
# Sign-in SMS per hour for the whole deployment (accounts/otp_budget.py); sized for a département.
OTP_HOURLY_BUDGET = env.int("OTP_HOURLY_BUDGET", default=500)

# --- Staff sign-in: lockout (django-axes), TOTP second factor (django-otp), session lifetime -------
# Passwords are for staff only, on the dashboards' form and the admin's (the same view): see
# accounts/staff_auth.py. Wrong passwords and wrong TOTP codes count alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked account or address before checking the password
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Per account and, separately, per address: one address cannot try many accounts, many addresses one account.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.staff_auth.axes_username"  # the phone number however typed
AXES_CLIENT_IP_CALLABLE = "accounts.staff_auth.client_ip"  # the throttles' address (NUM_PROXIES)
AXES_LOCKOUT_CALLABLE = "accounts.staff_auth.lockout_response"
# Reset by axes on any sign-in would also clear the address's counter, and a mayor signing in by SMS code
# would then wipe the failures from their address: the staff view resets the account's counter only.
AXES_RESET_ON_SUCCESS = False
# A lockout lasts the cool-off from the last counted failure, however often a locked account is tried.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The user name is a phone number: axes logs only masked values (and vigilants/logfilters.py masks phones).
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code", "csrfmiddlewaretoken"]
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_RETENTION_DAYS = env.int("AXES_RETENTION_DAYS", default=30)  # sign-in records, purged daily by beat
OTP_TOTP_ISSUER = "Vigilants"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP secret
# A town hall's working day; then SESSION_IDLE_TIMEOUT seconds without a request end a dashboard or
# admin session (accounts/middleware.py).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)

# --- Retention (RGPD): how long personal links are kept --------------------------------------
REPORTER_RETENTION_DAYS = env.int("REPORTER_RETENTION_DAYS", default=365)
REJECTED_MEMBERSHIP_RETENTION_DAYS = env.int("REJECTED_MEMBERSHIP_RETENTION_DAYS", default=90)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.DeviceTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "vigilants.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "vigilants.api.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "vigilants.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "vigilants.throttling.AnonRateThrottle",
        "vigilants.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="600/hour"),
        "user": env.str("THROTTLE_USER", default="3000/hour"),
        # Reads, counted apart (vigilants/throttling.py): a bound on runaway clients and scrapers, not on the
        # herd of phones re-reading after a warning, behind carriers' shared addresses, answered from caches.
        # Per minute, so that a burst is forgotten in a minute, not an hour.
        "anon_read": env.str("THROTTLE_ANON_READ", default="60000/minute"),
        "user_read": env.str("THROTTLE_USER_READ", default="30000/minute"),
        # Phones behind a carrier's shared address: loose per-IP limit on code requests.
        "otp_ip": env.str("THROTTLE_OTP_IP", default="100/hour"),
        "otp_verify_ip": env.str("THROTTLE_OTP_VERIFY_IP", default="300/hour"),
        "alert_create": env.str("THROTTLE_ALERT_CREATE", default="10/hour"),
        # Statistics exports, per person: each one reads a whole area and writes the audit log.
        "export": env.str("THROTTLE_EXPORT", default="30/hour"),
    },
    "EXCEPTION_HANDLER": "vigilants.api.exception_handler",
    # Client address for throttling: 0 trusts REMOTE_ADDR only; behind N reverse proxies set NUM_PROXIES=N.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Vigilants API",
    "DESCRIPTION": (
        "API des voisins vigilants : signalements, modération, alertes, statistiques.\n\n"
        "**En cas de crime ou délit en cours, appelez d'abord le 17 (ou le 112).** "
        "Un signalement ici ne remplace pas un appel aux forces de l'ordre."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CategoryEnum": "vigilants.categories.Category",
        "AlertStatusEnum": "alerts.models.AlertStatus",
        "MembershipStatusEnum": "communes.models.MembershipStatus",
        "RoleEnum": "communes.models.Role",
        "LevelEnum": "risks.models.Level",  # a warning's level, a vigilance's level and previous level
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "vigilants.api.schema_paths_without_slash",
    ],
}

# --- Security -------------------------------------------------------------------------------
# Secure cookies when the service is public over HTTPS; a plain-HTTP deployment (a closed network,
# a local check) must still keep a dashboard session.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PUBLIC_BASE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Where to report a vulnerability (security.txt, RFC 9116): "mailto:…" or an https URL; unset, no security.txt.
SECURITY_CONTACT = env.str("SECURITY_CONTACT", default="")
# HTTPS only, once the deployment is served over it (README: production environment). /healthz stays
# reachable over plain HTTP for load balancers' probes.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Pages load only what the service itself serves: no inline script or style, no other origin, no framing.
# Map tiles come from MAP_TILE_URL's server, if any, and from MAP_TILE_ORIGINS (e.g. where it redirects to).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:", *filter(None, [MAP_TILE_ORIGIN]), *env.list("MAP_TILE_ORIGINS", default=[])],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

# --- Logging: no phone numbers or tokens, ever (see vigilants/logfilters.py) -----------------
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "vigilants.logfilters.RedactPersonalData"}},
    # The formatter masks tracebacks too, which the filter does not see.
    "formatters": {"plain": {"class": "vigilants.logfilters.RedactingFormatter",
                             "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "twilio": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
