"""A message for every channel (a red warning): each channel the person has, whatever they chose; never held."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction

from conftest import Town
from notifications import planner
from notifications.models import Audience, Delivery, MessageKind
from notifications.preferences import Recipient, channels_for, not_before
from notifications.services import message_draft, message_enqueue

from .helpers import member, message

PARIS = ZoneInfo("Europe/Paris")
NIGHT = datetime(2026, 3, 10, 23, 30, tzinfo=PARIS)
QUIET = {"start": "22:00", "end": "07:00"}


def planned(msg) -> set[tuple[int, str]]:
    planner.plan(msg.pk)
    return set(Delivery.objects.filter(message=msg).values_list("user_id", "channel"))


def recipient(**fields: object) -> Recipient:
    values = {"user_id": 1, "phone": "+33612345678", "preferences": {"channels": ["push"]}, "has_device": True,
              "opted_out": False, **fields}  # fmt: skip
    return Recipient(**values)  # type: ignore[arg-type]


def test_every_channel_reaches_each_channel_the_person_has_whatever_they_chose(saint_paul: Town) -> None:
    pusher = member(saint_paul.commune, channels=["push"])
    texter = member(saint_paul.commune, channels=["sms"])
    nothing = member(saint_paul.commune, channels=[])
    deviceless = member(saint_paul.commune, channels=["push"], device=False)
    got = planned(message(saint_paul.commune, kind="broadcast", category="", every_channel=True))
    for person in (pusher, texter, nothing):
        assert {c for u, c in got if u == person.pk} == {"push", "sms"}, person
    assert {c for u, c in got if u == deviceless.pk} == {"sms"}


def test_without_every_channel_their_choice_holds(saint_paul: Town) -> None:
    pusher = member(saint_paul.commune, channels=["push"])
    nothing = member(saint_paul.commune, channels=[])
    got = planned(message(saint_paul.commune, kind="broadcast", category=""))
    assert {c for u, c in got if u == pusher.pk} == {"push"}
    assert not {c for u, c in got if u == nothing.pk}


def test_every_channel_still_respects_stop_and_needs_a_number() -> None:
    msg = message_draft(commune=None, kind="broadcast", title="t", body="b", every_channel=True)  # type: ignore[arg-type]
    assert channels_for(msg, recipient(opted_out=True)) == ["push"]
    assert channels_for(msg, recipient(phone="")) == ["push"]
    assert channels_for(msg, recipient(has_device=False, opted_out=True)) == []


def test_every_channel_sets_categories_aside_but_not_the_messages_own_channels() -> None:
    picky = {"channels": ["push"], "categories": ["vol"]}
    alert = message_draft(commune=None, kind="alert", title="t", body="b", category="incendie",  # type: ignore[arg-type]
                          every_channel=True)  # fmt: skip
    assert channels_for(alert, recipient(preferences=picky)) == ["push", "sms"]
    push_only = message_draft(commune=None, kind="broadcast", title="t", body="b", channels=["push"],  # type: ignore[arg-type]
                              every_channel=True)  # fmt: skip
    assert channels_for(push_only, recipient()) == ["push"]


def test_every_channel_goes_through_quiet_hours_even_if_not_marked_urgent(saint_paul: Town) -> None:
    sleeper = member(saint_paul.commune, channels=["push"], quiet_hours=QUIET)
    with time_machine.travel(NIGHT, tick=False):
        red = message(saint_paul.commune, kind="broadcast", category="", every_channel=True, urgent=False)
        planner.plan(red.pk)
        ordinary = message(saint_paul.commune, kind="broadcast", category="", source_id=43)
        planner.plan(ordinary.pk)
    assert set(Delivery.objects.filter(message=red, user=sleeper).values_list("not_before", flat=True)) == {None}
    assert Delivery.objects.get(message=ordinary, user=sleeper).not_before is not None


def test_not_before_ignores_the_window_for_every_channel() -> None:
    msg = message_draft(commune=None, kind="broadcast", title="t", body="b", every_channel=True)  # type: ignore[arg-type]
    assert not_before(msg, {"quiet_hours": QUIET}, NIGHT) is None
    msg.every_channel = False
    assert not_before(msg, {"quiet_hours": QUIET}, NIGHT) is not None


def test_message_enqueue_keeps_the_audience_tag_and_every_channel(saint_paul: Town) -> None:
    with transaction.atomic():
        msg = message_enqueue(commune=saint_paul.commune, kind=MessageKind.BROADCAST, title="t", body="b",
                              audience=Audience.PUBLIC, thread_tag="warning-7", every_channel=True)  # fmt: skip
    msg.refresh_from_db()
    assert (msg.audience, msg.thread_tag, msg.every_channel, msg.collapse_key) == ("public", "warning-7", True, "warning-7")
