"""A circuit breaker for a service that may go away (Redis, the broker), shared by every thread of a process.

Without it, each request would wait for its own connect or read timeout while the service is down. Once a
call has failed, callers take their fallback at once for `cooldown` seconds; then a single caller tries the
service again (the others keep falling back meanwhile), and its success closes the breaker.

It logs once when an outage starts and once when it ends: never once per request.
"""

import logging
import threading
import time


class CircuitBreaker:
    def __init__(self, name: str, logger: logging.Logger, fallback: str, cooldown: float = 5.0) -> None:
        self.name = name
        self.fallback = fallback  # what callers do meanwhile, for the log
        self.cooldown = cooldown
        self._log = logger
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0

    @property
    def is_open(self) -> bool:
        return self._open

    def allows(self) -> bool:
        """Whether this caller may use the service now (closed, or open and this caller is the one retry)."""
        if not self._open:
            return True
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            # This caller probes; anyone else arriving before it answers keeps falling back.
            self._retry_at = now + self.cooldown
            return True

    def succeeded(self) -> None:
        if not self._open:
            return
        with self._lock:
            if self._open:
                self._open = False
                self._log.warning("%s answers again", self.name)

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + self.cooldown
            if self._open:
                return
            self._open = True
        # The exception's type only: its text may carry a URL with a password.
        self._log.warning("%s unavailable (%s): %s until it answers", self.name, type(error).__name__, self.fallback)

    def reset(self) -> None:
        """Closed again, as at start (tests)."""
        with self._lock:
            self._open, self._retry_at = False, 0.0
