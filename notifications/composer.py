"""What a member reads: the push notification and the SMS text of a message (French, GSM-7)."""

from typing import TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import override

from providers.base import SmsMessage
from providers.gsm import fit_one_segment, segments

from .models import Message, MessageKind

PUSH_BODY_MAX = 1000  # FCM's payload limit is 4 KB; an alert body never needs more
# An alert SMS arriving hours late does more harm than good: the carrier drops it after this.
SMS_VALIDITY_SECONDS = 4 * 3600


def sms_text(message: Message) -> str:
    """One GSM-7 segment wherever possible: 'Vigilants Saint-Paul : title - body...'."""
    with override("fr"):
        if message.urgent:
            prefix = _("URGENT Vigilants %(commune)s : ") % {"commune": message.commune.name}
        else:
            prefix = _("Vigilants %(commune)s : ") % {"commune": message.commune.name}
    return fit_one_segment(prefix, f"{message.title} - {message.body}")


def sms_segments(text: str) -> int:
    return segments(text)


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

