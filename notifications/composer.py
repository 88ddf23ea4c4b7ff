"""What a member reads: the push notification and the SMS text of a message (French, GSM-7)."""

from dataclasses import dataclass
from typing import TypedDict

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from providers.base import SmsMessage
from providers.gsm import PART_GSM7, PART_UCS2, SINGLE_GSM7, SINGLE_UCS2, fit_one_segment, is_gsm7, segments, septets, to_gsm7

from .models import Message, MessageKind

PUSH_BODY_MAX = 1000  # FCM's payload limit is 4 KB; an alert body never needs more
# An alert SMS arriving hours late does more harm than good: the carrier drops it after this.
SMS_VALIDITY_SECONDS = 4 * 3600


def sms_text(message: Message) -> str:
    """One GSM-7 segment wherever possible: '<BRAND_NAME> Saint-Paul : title - body...'."""
    return fit_one_segment(_sms_prefix(message), _sms_content(message))


def branded(text: str, **values: object) -> str:
    """A translated text naming the service as the deployment brands it (BRAND_NAME): `%(brand)s` in `text`."""
    return text % {"brand": settings.BRAND_NAME, **values}


def _sms_prefix(message: Message) -> str:
    with override("fr"):
        if message.urgent:
            return branded(_("URGENT %(brand)s %(commune)s : "), commune=message.commune.name)
        return branded(_("%(brand)s %(commune)s : "), commune=message.commune.name)


def _sms_content(message: Message) -> str:
    return f"{message.title} - {message.body}"


def sms_segments(text: str) -> int:
    return segments(text)


GSM7, UCS2 = "GSM-7", "UCS-2"


@dataclass(frozen=True)
class SmsShape:
    """How a carrier counts an SMS text: its alphabet, its length in that alphabet's units, its parts."""

    text: str
    encoding: str  # GSM7 or UCS2: one character outside GSM-7 sends the whole text in UCS-2
    length: int  # GSM-7 septets (€, [, ] and a few more take two) or UCS-2 code units (an emoji takes two)
    segments: int
    single_limit: int  # what one SMS holds in that alphabet (160 or 70)
    part_limit: int  # what each part of a longer one holds (153 or 67)


def sms_shape(text: str) -> SmsShape:
    if is_gsm7(text):
        return SmsShape(text, GSM7, septets(text), segments(text), SINGLE_GSM7, PART_GSM7)
    units = len(text.encode("utf-16-le")) // 2
    return SmsShape(text, UCS2, units, segments(text), SINGLE_UCS2, PART_UCS2)


@dataclass(frozen=True)
class SmsPreview:
    """The SMS a message would send, as sent, and what writing it took."""

    shape: SmsShape
    shortened: bool  # part of the title or text left out, to fit one segment
    transliterated: bool  # characters GSM-7 lacks (ê, ç, typographic quotes) replaced by the closest it has


def sms_preview(message: Message) -> SmsPreview:
    text, content = sms_text(message), _sms_content(message)
    return SmsPreview(sms_shape(text), shortened=not text.endswith(to_gsm7(content)), transliterated=not is_gsm7(content))


def sms_for(message: Message, key: str, phone: str, text: str) -> SmsMessage:
    return SmsMessage(key=key, to=phone, body=text, validity_seconds=SMS_VALIDITY_SECONDS)


def push_data(message: Message) -> dict[str, str]:
    """FCM data values must be strings. The app opens the alert named by `alert_id`."""
    data = {"message_id": str(message.pk), "kind": message.kind, "commune": message.commune.insee}
    if message.source_type and message.source_id:
        data[f"{message.source_type}_id"] = str(message.source_id)
    if message.kind == MessageKind.FOLLOWUP and message.replaces_id:
        data["replaces_message_id"] = str(message.replaces_id)
    return data


class PushFields(TypedDict):
    title: str
    body: str
    data: dict[str, str]
    collapse_key: str
    urgent: bool


def push_fields(message: Message) -> PushFields:
    """Everything in a push but its key and device token."""
    return {"title": message.title, "body": message.body[:PUSH_BODY_MAX], "data": push_data(message),
            "collapse_key": message.collapse_key, "urgent": message.urgent}  # fmt: skip

