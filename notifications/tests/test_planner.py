"""Who gets what: members, neighbourhoods, the reporter, channels, categories, quiet hours, opt-outs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from communes.models import Membership
from conftest import Town
from notifications import planner
from notifications.models import Delivery, MessageStatus, SmsOptOut
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .helpers import member, message

PARIS = ZoneInfo("Europe/Paris")


def planned(msg) -> set[tuple[int, str]]:
    planner.plan(msg.pk)
    return set(Delivery.objects.filter(message=msg).values_list("user_id", "channel"))


def test_it_sends_to_approved_members_of_the_commune_only(saint_paul: Town, charleville: Town) -> None:
    rejected = UserFactory()
    MembershipFactory(commune=saint_paul.commune, user=rejected, status="rejected")
    got = planned(message(saint_paul.commune))
    users = {u for u, _ in got}
    assert users == {saint_paul.mayor.pk, saint_paul.referent.pk, saint_paul.resident.pk, saint_paul.resident2.pk}


def test_it_excludes_the_reporter(saint_paul: Town) -> None:
    got = planned(message(saint_paul.commune, exclude_user_id=saint_paul.resident.pk))
    assert saint_paul.resident.pk not in {u for u, _ in got}
    assert len({u for u, _ in got}) == 3


def test_it_targets_chosen_neighbourhoods(saint_paul: Town) -> None:
    north = NeighbourhoodFactory.create(commune=saint_paul.commune)
    Membership.objects.filter(user=saint_paul.resident).update(neighbourhood=north)
    got = planned(message(saint_paul.commune, kind="broadcast", neighbourhood_ids=[north.pk]))
    assert {u for u, _ in got} == {saint_paul.resident.pk}


def test_it_pushes_to_push_choosers_with_a_device(saint_paul: Town) -> None:
    pusher = member(saint_paul.commune, channels=["push"])
    both = member(saint_paul.commune, channels=["push", "sms"])
    texter = member(saint_paul.commune, channels=["sms"])
    got = planned(message(saint_paul.commune))
    assert {c for u, c in got if u == pusher.pk} == {"push"}
    assert {c for u, c in got if u == both.pk} == {"push", "sms"}
    assert {c for u, c in got if u == texter.pk} == {"sms"}


def test_it_falls_back_to_sms_when_no_active_device(saint_paul: Town) -> None:
    deviceless = member(saint_paul.commune, channels=["push"], device=False)
    dead = member(saint_paul.commune, channels=["push"])
    dead.devices.update(active=False)
    got = planned(message(saint_paul.commune))
    assert {c for u, c in got if u == deviceless.pk} == {"sms"}
    assert {c for u, c in got if u == dead.pk} == {"sms"}


def test_it_sends_nothing_to_who_chose_no_channel(saint_paul: Town) -> None:
    silent = member(saint_paul.commune, channels=[])
    assert silent.pk not in {u for u, _ in planned(message(saint_paul.commune))}


def test_it_restricts_to_the_message_channels(saint_paul: Town) -> None:
    both = member(saint_paul.commune, channels=["push", "sms"])
    deviceless = member(saint_paul.commune, channels=["push"], device=False)
    got = planned(message(saint_paul.commune, channels=["push"]))
    assert {c for u, c in got if u == both.pk} == {"push"}
    assert deviceless.pk not in {u for u, _ in got}


def test_it_honours_categories_for_alerts_but_not_broadcasts(saint_paul: Town) -> None:
    picky = member(saint_paul.commune, categories=["vol"])
    assert picky.pk not in {u for u, _ in planned(message(saint_paul.commune, category="cambriolage"))}
    assert picky.pk in {u for u, _ in planned(message(saint_paul.commune, category="vol"))}
    assert picky.pk in {u for u, _ in planned(message(saint_paul.commune, kind="broadcast", category=""))}


def test_it_skips_sms_to_opted_out_numbers(saint_paul: Town) -> None:
    texter = member(saint_paul.commune, channels=["sms"])
    SmsOptOut.objects.create(phone=str(texter.phone))
    assert texter.pk not in {u for u, _ in planned(message(saint_paul.commune))}


@pytest.mark.parametrize(
    ("local_now", "held_until"),
    [
        (datetime(2026, 3, 10, 23, 30), datetime(2026, 3, 11, 7, 0)),  # before midnight: tomorrow morning
        (datetime(2026, 3, 11, 6, 59), datetime(2026, 3, 11, 7, 0)),  # after midnight: this morning
        (datetime(2026, 3, 11, 7, 0), None),  # the window has ended
        (datetime(2026, 3, 11, 12, 0), None),
    ],
)
def test_it_holds_non_urgent_messages_in_quiet_hours_across_midnight(
    saint_paul: Town, local_now: datetime, held_until: datetime | None
) -> None:
    sleeper = member(saint_paul.commune, quiet_hours={"start": "22:00", "end": "07:00"})
    with time_machine.travel(local_now.replace(tzinfo=PARIS), tick=False):
        msg = message(saint_paul.commune)
        planner.plan(msg.pk)
    row = Delivery.objects.get(message=msg, user=sleeper)
    expected = held_until.replace(tzinfo=PARIS) if held_until else None
    assert row.not_before == expected
    assert (row.dispatched_at is None) == (held_until is not None)


def test_it_sends_urgent_messages_at_once_in_quiet_hours(saint_paul: Town) -> None:
    sleeper = member(saint_paul.commune, quiet_hours={"start": "22:00", "end": "07:00"})
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=PARIS), tick=False):
        msg = message(saint_paul.commune, urgent=True)
        planner.plan(msg.pk)
    assert Delivery.objects.get(message=msg, user=sleeper).not_before is None


def test_it_plans_in_batches_and_twice_without_duplicates(saint_paul: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "PLAN_BATCH", 2)
    for _ in range(5):
        member(saint_paul.commune)
    msg = message(saint_paul.commune)
    first = planned(msg)
    msg.refresh_from_db()
    assert msg.status == MessageStatus.PLANNED
    last = Membership.objects.filter(commune=saint_paul.commune).order_by("id").values_list("id", flat=True).last()
    assert msg.plan_cursor == last
    # Planning again (a redelivered task, or after a crash) writes no second row.
    type(msg).objects.filter(pk=msg.pk).update(status=MessageStatus.QUEUED, plan_cursor=0)
    assert planned(msg) == first
    assert Delivery.objects.filter(message=msg).count() == len(first) == 4 + 5


def test_it_plans_a_message_once_while_its_lease_is_held(saint_paul: Town) -> None:
    msg = message(saint_paul.commune)
    assert planner.claim_planning(msg.pk)
    assert not planner.claim_planning(msg.pk)
    assert planner.plan(msg.pk) == 0
