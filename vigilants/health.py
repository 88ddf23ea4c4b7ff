"""GET /healthz: 200 when the database and the broker answer, 503 naming what failed."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

log = logging.getLogger(__name__)


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_broker() -> str:
    if not settings.REDIS_URL:
        return "ok (in-process tasks)"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return "ok"


def check_notifications() -> str:
    from notifications.health import check_notifications as check

    return check()


# "notifications" reports a stuck or failing provider without failing healthz (see notifications/health.py).
CHECKS = {"database": check_database, "broker": check_broker, "notifications": check_notifications}


def healthz(request: HttpRequest) -> JsonResponse:
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
            log.warning("healthz: %s failed: %s", name, type(exc).__name__)
            results[name] = f"error: {type(exc).__name__}"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)
