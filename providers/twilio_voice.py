"""Voice calls through Twilio's official SDK (Calls API): one `calls.create` per call, the TwiML given inline.

The TwiML speaks the message in French twice, then asks for 1 (`<Gather numDigits="1">`); Twilio posts the digit
to the Gather's action and each status change to the status callback, both signed (notifications/voice.py).
"""

import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from xml.etree import ElementTree

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from .base import Outcome, SendResult, _load
from .errors import network_outcome
from .twilio_sms import RoutedHttpClient, _api_failure

logger = logging.getLogger(__name__)

# Every step, so that a call that connected is known as soon as it rings (the worker may die after that).
STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
RING_SECONDS = 30  # how long the phone rings before Twilio says no-answer
GATHER_SECONDS = 8  # how long the person has to press 1 after the message
LANGUAGE = "fr-FR"
FIND_LIMIT = 20  # calls read back per number when deciding a call whose answer was lost
FIND_SLACK = timedelta(minutes=2)  # clocks differ


@dataclass(frozen=True)
class CallRequest:
    key: str  # our delivery id
    to: str  # E.164
    twiml: str
    status_callback: str  # empty: no status callback (a landline's verification call)


@dataclass(frozen=True)
class PlacedCall:
    """A call Twilio holds a record of (find_calls)."""

    sid: str
    status: str
    duration: int


class VoiceBackend(Protocol):
    def place(self, call: CallRequest) -> SendResult: ...

    def find_calls(self, to: str, since: datetime) -> list[PlacedCall]: ...


def get_voice_backend() -> VoiceBackend:
    return _load(settings.VOICE_BACKEND)  # type: ignore[return-value]


def speech(spoken: str, repeat: str, prompt: str, action: str, goodbye: str) -> str:
    """The call's TwiML: the message, once more, the prompt for 1, all inside the Gather (a press interrupts)."""
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=GATHER_SECONDS)
    gather.say(spoken, language=LANGUAGE)
    gather.pause(length=1)
    gather.say(f"{repeat} {spoken}", language=LANGUAGE)
    gather.say(prompt, language=LANGUAGE)
    response.say(goodbye, language=LANGUAGE)
    return _xml(response)


def read_out(intro: str, code: str, repeat: str, goodbye: str) -> str:
    """A verification call's TwiML: the intro and the code's digits one by one (spaced, so that each is heard),
    said three times, then goodbye and hang up."""
    digits = ", ".join(code)
    response = VoiceResponse()
    response.pause(length=1)
    response.say(f"{intro} {digits}.", language=LANGUAGE)
    for _time in range(2):
        response.pause(length=1)
        response.say(f"{repeat} {digits}.", language=LANGUAGE)
    response.say(goodbye, language=LANGUAGE)
    response.hangup()
    return _xml(response)


def said(text: str) -> str:
    """TwiML that says `text` and hangs up (the answer to the digit)."""
    response = VoiceResponse()
    response.say(text, language=LANGUAGE)
    response.hangup()
    return _xml(response)


def _xml(response: VoiceResponse) -> str:
    body = ElementTree.tostring(response.xml(), encoding="unicode", short_empty_elements=False)
    return f'<?xml version="1.0" encoding="UTF-8"?>{body}'


class TwilioVoiceBackend:
    def __init__(self) -> None:
        self._local = threading.local()  # one SDK client per thread, as for SMS

    def place(self, call: CallRequest) -> SendResult:
        client = self._client()
        try:
            callback: dict[str, Any] = {"status_callback": call.status_callback, "status_callback_event": STATUS_EVENTS,
                                        "status_callback_method": "POST"} if call.status_callback else {}  # fmt: skip
            placed = client.calls.create(to=call.to, from_=settings.TWILIO_FROM, twiml=call.twiml, timeout=RING_SECONDS,
                                         **callback)  # fmt: skip
        except TwilioException as error:
            return _api_failure(call.key, error, client.http_client.last_response)
        except requests.RequestException as error:
            outcome = network_outcome(error)
            logger.warning("call %s: network error (%s), %s", call.key, type(error).__name__, outcome)
            return SendResult(call.key, outcome, error_code="network", retry_after=5.0)
        return SendResult(call.key, Outcome.SENT, provider_id=placed.sid or "")

    def find_calls(self, to: str, since: datetime) -> list[PlacedCall]:
        """The calls Twilio placed to `to` since `since`, newest first: whether a call whose answer was lost
        left. Raises LookupUnavailable's cause (TwilioException, RequestException) to the caller."""
        start = since - FIND_SLACK
        records: Sequence[Any] = self._client().calls.list(to=to, limit=FIND_LIMIT)
        return [PlacedCall(r.sid, r.status or "", int(r.duration or 0)) for r in records
                if r.sid and (r.date_created is None or r.date_created >= start)]  # fmt: skip

    def _client(self) -> Client:
        client = getattr(self._local, "client", None)
        if client is None:
            http_client = RoutedHttpClient(settings.TWILIO_API_BASE_URL, settings.TWILIO_TIMEOUT_SECONDS)
            client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)
            self._local.client = client
        return client


class ConsoleVoiceBackend:
    """The embedded default: logs the call (the number's last two digits) and answers as if it were placed."""

    def place(self, call: CallRequest) -> SendResult:
        logger.info("call %s to …%s (console: not placed)", call.key, call.to[-2:])
        return SendResult(call.key, Outcome.SENT, provider_id=f"CONSOLE{uuid.uuid4().hex}")

    def find_calls(self, to: str, since: datetime) -> list[PlacedCall]:
        return []
