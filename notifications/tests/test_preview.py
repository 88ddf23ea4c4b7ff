"""A message previewed before it is sent: its SMS as the carrier counts it, its cost; a list's figures."""

from decimal import Decimal

import pytest

from conftest import Town
from notifications import composer, planner
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind, MessageSource
from notifications.services import (
    latest_figures,
    message_draft,
    message_enqueue,
    message_figures,
    message_preview,
)

from .helpers import member


@pytest.mark.parametrize(
    ("text", "encoding", "length", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),  # 153 a part
        ("a" * 307, "GSM-7", 307, 3),
        ("é è ù à Ç" + "a" * 151, "GSM-7", 160, 1),  # in the GSM-7 alphabet
        ("€" + "a" * 158, "GSM-7", 160, 1),  # the extension table: two septets
        ("ê" + "a" * 69, "UCS-2", 70, 1),  # one character outside GSM-7: the whole text in UCS-2
        ("ê" + "a" * 70, "UCS-2", 71, 2),
        ("ç" + "a" * 133, "UCS-2", 134, 2),  # 67 a part
        ("ç" + "a" * 134, "UCS-2", 135, 3),
    ],
)
def test_an_sms_text_is_counted_as_the_carrier_counts_it(text: str, encoding: str, length: int, segments: int) -> None:
    shape = composer.sms_shape(text)
    assert (shape.encoding, shape.length, shape.segments) == (encoding, length, segments)
    assert (shape.single_limit, shape.part_limit) == ((160, 153) if encoding == "GSM-7" else (70, 67))


def draft(town: Town, **fields: object) -> Message:
    values: dict[str, object] = {"commune": town.commune, "kind": MessageKind.BROADCAST, "title": "Travaux",
                                 "body": "Coupure d'eau demain matin.", "exclude_user_id": town.mayor.pk, **fields}  # fmt: skip
    return message_draft(**values)  # type: ignore[arg-type]


def test_the_preview_counts_the_sms_actually_sent(saint_paul: Town) -> None:
    message = draft(saint_paul, title="Fête", body="Rendez-vous à la fête du village, forêt comprise.")
    sms = message_preview(message).sms
    assert sms is not None
    # What the sender sends: the prefix, the accents GSM-7 lacks replaced (ê → e).
    expected = "Vigilants Saint-Paul-de-Vence : Fete - Rendez-vous à la fete du village, foret comprise."
    assert sms.shape.text == composer.sms_text(message) == expected
    assert (sms.shape.encoding, sms.shape.segments, sms.transliterated, sms.shortened) == ("GSM-7", 1, True, False)


def test_the_preview_says_when_the_sms_is_shortened(saint_paul: Town) -> None:
    sms = message_preview(draft(saint_paul, body="Une phrase assez longue. " * 20)).sms
    assert sms is not None and sms.shortened and not sms.transliterated
    assert sms.shape.text.endswith("...") and sms.shape.segments == 1


def test_the_cost_is_every_part_sent_at_the_configured_price(saint_paul: Town, settings, monkeypatch) -> None:
    settings.SMS_SEGMENT_PRICE_EUR = 0.0725
    for _ in range(2):
        member(saint_paul.commune, channels=["sms"])
    # Three parts a text (were the sender to send longer ones): the cost follows the text's segments.
    monkeypatch.setattr(composer, "sms_text", lambda message: "a" * 400)
    preview = message_preview(draft(saint_paul))
    assert preview.reach.sms == 5  # the three personas left (no device: SMS) and the two members
    assert preview.sms is not None and preview.sms.shape.segments == 3
    assert (preview.sms_segments, preview.sms_cost) == (15, Decimal("1.0875"))


def test_a_message_without_sms_has_no_sms_and_costs_nothing(saint_paul: Town) -> None:
    preview = message_preview(draft(saint_paul, channels=["push"]))
    assert (preview.sms, preview.sms_segments, preview.sms_cost) == (None, 0, Decimal(0))
    assert preview.reach.sms == 0 and preview.reach.unreached == 3  # the personas have no device


def test_a_lists_figures_are_each_messages_own(saint_paul: Town) -> None:
    first = message_enqueue(commune=saint_paul.commune, kind=MessageKind.BROADCAST, title="a", body="b",
                            source_type=MessageSource.ALERT, source_id=1)  # fmt: skip
    second = message_enqueue(commune=saint_paul.commune, kind=MessageKind.BROADCAST, title="c", body="d",
                             source_type=MessageSource.ALERT, source_id=2)  # fmt: skip
    planner.plan(first.pk)
    Delivery.objects.filter(message=first, user=saint_paul.resident).update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(message=first, user=saint_paul.referent).update(status=DeliveryStatus.FAILED)
    Delivery.objects.filter(message=first, user=saint_paul.mayor).update(status=DeliveryStatus.CANCELLED)
    figures = latest_figures(MessageSource.ALERT, [1, 2, 3])
    assert figures == {1: message_figures(first), 2: message_figures(second)}
    assert (figures[1].recipients, figures[1].sms.delivered, figures[1].sms.failed, figures[1].pending) == (3, 1, 1, 1)
    assert figures[2].planning and figures[2].pending == 1
