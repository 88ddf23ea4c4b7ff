"""Incoming SMS other than STOP / START, handed to the apps that answer them.

Twilio's inbound webhook lives here (notifications), below the apps that know what a text means (alerts turns
a member's text into a report, "OUI" into a confirmation): they register a handler in their AppConfig.ready,
as they register their RGPD export and their health checks, so that this layer never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class InboundText:
    phone: str  # the sender in E.164, as the numbers we send to are stored
    body: str  # the text as received
    word: str  # the text as one keyword: no accents, case, spaces or punctuation ("Oui !" → "oui")


@dataclass(frozen=True)
class InboundReply:
    text: str  # the SMS answered in the webhook's TwiML; "" for none
    outcome: str  # what was done, for the log: never the number nor the text


InboundHandler = Callable[[InboundText], InboundReply | None]

_handlers: dict[str, InboundHandler] = {}


def register_inbound_handler(name: str, handler: InboundHandler) -> None:
    """Ask to be given the texts that are not STOP / START; registering a name again replaces its handler."""
    _handlers[name] = handler


def handle_inbound(text: InboundText) -> InboundReply | None:
    """The first answer of the handlers, in the order they registered; None when none of them took the text."""
    for handler in _handlers.values():
        reply = handler(text)
        if reply is not None:
            return reply
    return None
