"""A member's preferences applied to one message: which channels, and not before when (quiet hours)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .models import Channel, Message, MessageKind

# A member's preferences (User.preferences, JSON): channels, categories, quiet_hours.
Preferences = dict[str, Any]

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    phone: str
    preferences: Preferences
    has_device: bool  # at least one active push device
    opted_out: bool  # the number answered STOP
    landline: str = ""  # a usable landline (models.Landline): calls go there rather than to the mobile

    @property
    def voice_number(self) -> str:
        """Where a call goes: the landline registered for voice, else the person's own number."""
        return self.landline or self.phone


def channels_for(message: Message, who: Recipient) -> list[str]:
    """Push to those who chose it and have a device; SMS to those who chose it or have no working device.

    A member who chose push but has no active device would otherwise get nothing: SMS is the fallback
    (when the message allows SMS and the number has not opted out). A message for every channel (a red
    warning) goes by each one the person has, whatever they chose: see every_channel_for.
    """
    if message.every_channel:
        return every_channel_for(message, who)
    prefs = who.preferences or {}
    if not _wants_category(message, prefs):
        return []
    chosen = set(prefs.get("channels") or [])
    out = []
    if Channel.PUSH in message.channels and Channel.PUSH in chosen and who.has_device:
        out.append(Channel.PUSH.value)
    wants_sms = Channel.SMS in chosen or (Channel.PUSH in chosen and not who.has_device)
    if Channel.SMS in message.channels and wants_sms and not who.opted_out and who.phone and not _landline_only(who):
        out.append(Channel.SMS.value)
    if Channel.VOICE in message.channels and Channel.VOICE in chosen and who.voice_number:
        out.append(Channel.VOICE.value)
    return out


def _landline_only(who: Recipient) -> bool:
    # A resident the town hall registered with their landline as their only number: it takes no SMS.
    return bool(who.landline) and who.landline == who.phone


def every_channel_for(message: Message, who: Recipient) -> list[str]:
    """Push if the person has a device, and SMS if their number is usable and did not answer STOP.

    Their choice of channels and categories is set aside: a red warning is a danger to life, and one channel
    missed (a phone on silent, a push the system drops) must not be the only one tried. STOP is not set aside: it
    is the person's refusal of any SMS from the service, which the law makes final. The message's own channels
    still bound it.
    """
    out = []
    if Channel.PUSH in message.channels and who.has_device:
        out.append(Channel.PUSH.value)
    if Channel.SMS in message.channels and who.phone and not who.opted_out and not _landline_only(who):
        out.append(Channel.SMS.value)
    # A call only to those who asked for calls or registered a landline: calling every mobile would cost the
    # commune a minute per person for what push and SMS already carry.
    wants_calls = Channel.VOICE in ((who.preferences or {}).get("channels") or []) or bool(who.landline)
    if Channel.VOICE in message.channels and wants_calls and who.voice_number:
        out.append(Channel.VOICE.value)
    return out


def _wants_category(message: Message, prefs: Preferences) -> bool:
    # A mayor's broadcast goes to everyone: categories filter alerts (and their follow-ups) only.
    categories = prefs.get("categories")
    if message.kind == MessageKind.BROADCAST or not message.category or categories is None:
        return True
    return message.category in categories


def not_before(message: Message, prefs: Preferences, now: datetime) -> datetime | None:
    """End of the member's quiet hours if `now` falls inside them (non-urgent messages only).

    A message for every channel (a red warning) is never held, even if it were not marked urgent."""
    window = (prefs or {}).get("quiet_hours")
    if message.urgent or message.every_channel or not window:
        return None
    try:
        start, end = time.fromisoformat(window["start"]), time.fromisoformat(window["end"])
    except (KeyError, TypeError, ValueError):
        return None  # a malformed window never holds an alert back
    return quiet_until(start, end, now)


def quiet_until(start: time, end: time, now: datetime) -> datetime | None:
    """When the window [start, end) in Paris time ends, if `now` is inside it; it may cross midnight."""
    local = now.astimezone(PARIS)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=PARIS)
