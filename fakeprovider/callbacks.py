"""Twilio delivery status callbacks, signed exactly as Twilio signs them, sent from one background thread."""

import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from twilio.request_validator import RequestValidator


@dataclass
class Callback:
    url: str
    params: dict[str, str]
    signature: str
    status: int | None = None  # the HTTP status our webhook answered, None if unreachable
    error: str = ""
    sent_at: float = field(default=0.0)
    body: str = ""  # the answer, when asked for (the TwiML a call fetched from its Url)


class CallbackSender:
    """Posts callbacks in order, each no earlier than its due time; records what happened."""

    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)
        self.sent: list[Callback] = []
        self._generation = 0  # bumped by forget(): callbacks scheduled before are dropped
        self._queue: queue.Queue[tuple[int, float, str, dict[str, str]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="fake-twilio-callbacks", daemon=True)
        self._thread.start()

    def schedule(self, due: float, url: str, params: dict[str, str]) -> None:
        self._queue.put((self._generation, due, url, params))

    def forget(self) -> None:
        """Drop what was sent and what is still pending (the fake's reset between tests)."""
        self._generation += 1
        self.sent.clear()

    def stop(self) -> None:
        self._queue.put(None)

    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            generation, due, url, params = item
            if generation != self._generation:
                continue
            time.sleep(max(0.0, due - time.monotonic()))
            callback = self._post(url, params)
            if generation == self._generation:
                self.sent.append(callback)

    def post(self, url: str, params: dict[str, str], keep_body: bool = False) -> tuple[Callback, str]:
        """Post now, from the caller's thread (a simulated call's): the callback and, `keep_body`, the answer."""
        callback = self._post(url, params, keep_body)
        return callback, callback.body

    def _post(self, url: str, params: dict[str, str], keep_body: bool = False) -> Callback:
        signature = self.validator.compute_signature(url, params)
        callback = Callback(url=url, params=params, signature=signature, sent_at=time.time())
        request = urllib.request.Request(  # noqa: S310 (the URL is the one our own transport gave)
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded",
                     "User-Agent": "TwilioProxy/1.1"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                callback.status = response.status
                callback.body = response.read().decode("utf-8", "replace") if keep_body else ""
        except urllib.error.HTTPError as error:
            callback.status = error.code
        except (OSError, ValueError) as error:
            callback.error = repr(error)
        return callback
