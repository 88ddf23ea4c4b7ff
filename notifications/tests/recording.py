"""Tiny in-memory transports for unit tests: they record every call and answer what a test scripts."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any
from typing import Any as SettingsWrapper

import pytest

from providers.base import (
    Outcome,
    PushMessage,
    SendResult,
    SmsMessage,
    get_push_backend,
    get_sms_backend,
    reset_backends,
)

Script = Callable[[Any], SendResult]  # a PushMessage or an SmsMessage, as the test's transport takes


def accept(message: PushMessage | SmsMessage) -> SendResult:
    return SendResult(key=message.key, outcome=Outcome.SENT, provider_id=f"SM{message.key.replace(':', 'x')}")


class Recording:
    def __init__(self) -> None:
        self.calls: list[list[Any]] = []
        self.script: Script = accept

    def send_batch(self, messages: Sequence[Any]) -> list[SendResult]:
        self.calls.append(list(messages))
        return [self.script(m) for m in messages]

    @property
    def sent(self) -> list[Any]:
        return [m for call in self.calls for m in call]


class RecordingPush(Recording):
    pass


class RecordingSms(Recording):
    """`found` stands for the provider's record of what it took (find_sent): key -> SID, or an exception."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self.lookups: list[tuple[str, str, object]] = []
        self.lookup_error: Exception | None = None

    def find_sent(self, message: SmsMessage, since: object) -> list[str]:
        self.lookups.append((message.to, message.body, since))
        if self.lookup_error is not None:
            raise self.lookup_error
        return [self.found[message.key]] if message.key in self.found else []


@pytest.fixture(name="transports")
def transports_fixture(settings: SettingsWrapper) -> Iterator[tuple[RecordingPush, RecordingSms]]:
    """Recording push and SMS backends, fresh for each test."""
    settings.PUSH_BACKEND = "notifications.tests.recording.RecordingPush"
    settings.SMS_BACKEND = "notifications.tests.recording.RecordingSms"
    reset_backends()
    yield get_push_backend(), get_sms_backend()  # type: ignore[misc]
    reset_backends()
