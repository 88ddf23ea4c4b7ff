"""GET /healthz: 200 when the database, the broker and the cache answer, 503 naming what failed.

The broker (CELERY_BROKER_URL: Redis or RabbitMQ) and the cache (REDIS_URL) are checked apart: they may be
different servers. Each check gives up after CHECK_TIMEOUT_SECONDS, so that /healthz answers even when a
server is unreachable rather than refusing connections.

`broker_answers()` is the same broker check remembered for a few seconds, for pages and reports that say
whether sending is delayed: they never pay a timeout on each view.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 1.0
BROKER_MEMO_SECONDS = 5.0


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_broker() -> str:
    """CELERY_BROKER_URL answers (raises otherwise); remembered for broker_answers()."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        _memo.record(url, answered=True)
        return "ok (in-process tasks)"
    try:
        _ping(url)
    except Exception:
        _memo.record(url, answered=False)
        raise
    _memo.record(url, answered=True)
    return "ok"


def check_cache() -> str:
    """REDIS_URL answers. Asked directly: the cache itself falls back to memory and would always say yes."""
    if not settings.REDIS_URL:
        return "ok (local memory)"
    _ping_redis(settings.REDIS_URL)
    return "ok"


def _ping(url: str) -> None:
    if url.startswith(("redis://", "rediss://", "unix://")):
        _ping_redis(url)
    else:
        _ping_kombu(url)


def _ping_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def _ping_kombu(url: str) -> None:
    """Any other broker (RabbitMQ): connect and shake hands."""
    from kombu import Connection

    options = {"read_timeout": CHECK_TIMEOUT_SECONDS, "write_timeout": CHECK_TIMEOUT_SECONDS}
    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS, transport_options=options) as broker:
        broker.connect()


@dataclass
class _BrokerMemo:
    url: str = ""
    answered: bool = True
    at: float = float("-inf")

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def record(self, url: str, answered: bool) -> None:
        self.url, self.answered, self.at = url, answered, time.monotonic()

    def fresh(self, url: str, max_age: float) -> bool:
        # An answer about another broker (the setting changed) says nothing about this one.
        return url == self.url and time.monotonic() - self.at < max_age


_memo = _BrokerMemo()


def broker_answers(max_age: float = BROKER_MEMO_SECONDS) -> bool:
    """Whether the broker answered when last asked, asking again when that is older than `max_age` seconds."""
    # While one thread asks, the others take the last answer rather than waiting for the same timeout.
    if _memo.fresh(settings.CELERY_BROKER_URL, max_age) or not _memo.lock.acquire(blocking=False):
        return _memo.answered
    try:
        check_broker()
    except Exception as exc:  # noqa: BLE001 - any failure means "does not answer"
        log.debug("broker check failed: %s", type(exc).__name__)
    finally:
        _memo.lock.release()
    return _memo.answered


def forget_broker_answer() -> None:
    """The next broker_answers() asks the broker again (tests)."""
    _memo.at = float("-inf")


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
}


def register_check(name: str, check: Callable[[], str]) -> None:
    """An app adds its own line to /healthz (from its AppConfig.ready): core knows no app. A check fails /healthz
    by raising; a result starting "error" fails it too, anything else is reported as it is."""
    CHECKS[name] = check


def healthz(request: HttpRequest) -> JsonResponse:
    results = {name: _run(name, check) for name, check in CHECKS.items()}
    healthy = not any(result.startswith("error") for result in results.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503)


_failing: set[str] = set()  # checks failing when last run in this process


def _run(name: str, check: Callable[[], str]) -> str:
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
        # Probes poll /healthz every few seconds: log when a check starts and stops failing, not each time.
        if name not in _failing:
            _failing.add(name)
            log.warning("healthz: %s failed: %s", name, type(exc).__name__)
        return f"error: {type(exc).__name__}"
    if name in _failing:
        _failing.discard(name)
        log.warning("healthz: %s answers again", name)
    return result
