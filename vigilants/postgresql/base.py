"""Django's PostgreSQL backend, with a health check that costs no round trip while the connection is idle, and
the hottest statements prepared (vigilants/prepared.py).

CONN_HEALTH_CHECKS makes Django ask `SELECT 1` before each request's first query on a persistent connection:
one round trip to the database per request, a third of what an alert's page costs the database. An idle
connection in autocommit has nothing to read; when PostgreSQL restarts, is shut down or ends the session, it
sends a message and closes the socket, which then becomes readable. So the socket is polled (no wait): quiet,
the connection is kept; readable, or not idle, or broken, Django's own `SELECT 1` decides.
"""

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg import pq

# Only statements run with `prepare=True` are prepared (vigilants/prepared.py): Django's client-side binding
# cursors never prepare, and psycopg prepares nothing on a connection whose threshold is None (Django's default).
PREPARE_THRESHOLD = 1_000_000


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        if params.get("prepare_threshold") is None and self.settings_dict.get("PREPARED_STATEMENTS", True):
            params["prepare_threshold"] = PREPARE_THRESHOLD
        return params

    def is_usable(self) -> bool:
        connection: Any = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not _readable(connection.fileno()):
            return True
        return bool(super().is_usable())


def _readable(fd: int) -> bool:
    try:
        return bool(select.select([fd], [], [], 0)[0])
    except (OSError, ValueError):
        return True  # a closed or invalid socket: let the real check fail
