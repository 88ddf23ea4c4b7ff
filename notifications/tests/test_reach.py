"""planner.reach: what plan() would write, counted without writing, for every rule of planning."""

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from communes.models import Membership
from conftest import Town
from notifications import planner
from notifications.models import Delivery, Message, MessageKind, SmsOptOut
from notifications.services import message_draft
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .helpers import member

PARIS = ZoneInfo("Europe/Paris")


def mixed_population(town: Town) -> None:
    """One member for each way planning decides, besides the town's personas (SMS only: no device)."""
    member(town.commune, channels=["push"])
    member(town.commune, channels=["push", "sms"])
    member(town.commune, channels=["sms"])
    member(town.commune, channels=["push"], device=False)  # SMS as the fallback
    member(town.commune, channels=[])  # nothing chosen: reached by nothing
    opted_out = member(town.commune, channels=["sms"], device=False)
    SmsOptOut.objects.create(phone=str(opted_out.phone))
    member(town.commune, quiet_hours={"start": "22:00", "end": "07:00"})
    MembershipFactory(commune=town.commune, user=UserFactory(), status="pending")  # not a member yet


def written(draft: Message) -> tuple[Counter[str], set[int]]:
    """Plan the draft for real: its rows by channel, and the members they go to."""
    draft.save()
    planner.plan(draft.pk)
    rows = list(Delivery.objects.filter(message=draft).values_list("user_id", "channel"))
    return Counter(channel for _, channel in rows), {user for user, _ in rows}


def broadcast(town: Town, **fields: object) -> Message:
    values: dict[str, object] = {"commune": town.commune, "kind": MessageKind.BROADCAST, "title": "Travaux",
                                 "body": "Coupure d'eau demain.", "exclude_user_id": town.mayor.pk, **fields}  # fmt: skip
    return message_draft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("channels", [["push"], ["sms"], ["push", "sms"]])
@pytest.mark.parametrize("batch", [2, planner.PLAN_BATCH])
def test_it_counts_by_channel_what_planning_then_writes(
    saint_paul: Town, monkeypatch: pytest.MonkeyPatch, channels: list[str], batch: int
) -> None:
    monkeypatch.setattr(planner, "PLAN_BATCH", batch)
    mixed_population(saint_paul)
    draft = broadcast(saint_paul, channels=channels)
    reach = planner.reach(draft)
    by_channel, reached = written(draft)
    targeted = Membership.objects.filter(commune=saint_paul.commune, status="approved").exclude(user=saint_paul.mayor)
    assert (reach.push, reach.sms) == (by_channel["push"], by_channel["sms"])
    assert reach.members == targeted.count() == 10
    assert reach.reached == len(reached) and reach.unreached == reach.members - len(reached)


def test_it_writes_nothing(saint_paul: Town) -> None:
    mixed_population(saint_paul)
    reach = planner.reach(broadcast(saint_paul))
    assert reach.reached > 0
    assert not Message.objects.exists() and not Delivery.objects.exists()


def test_the_sender_is_not_counted(saint_paul: Town) -> None:
    everyone = planner.reach(broadcast(saint_paul, exclude_user_id=None))
    but_the_mayor = planner.reach(broadcast(saint_paul))
    assert (everyone.members, but_the_mayor.members) == (4, 3)
    assert everyone.sms == but_the_mayor.sms + 1  # the personas have no device: SMS


def test_it_counts_only_the_chosen_neighbourhoods(saint_paul: Town) -> None:
    north = NeighbourhoodFactory.create(commune=saint_paul.commune)
    Membership.objects.filter(user__in=[saint_paul.resident, saint_paul.referent]).update(neighbourhood=north)
    reach = planner.reach(broadcast(saint_paul, neighbourhood_ids=[north.pk]))
    assert (reach.members, reach.sms, reach.push) == (2, 2, 0)


def test_it_counts_members_held_by_their_quiet_hours_unless_urgent(saint_paul: Town) -> None:
    member(saint_paul.commune, quiet_hours={"start": "22:00", "end": "07:00"})
    member(saint_paul.commune, quiet_hours={"start": "23:00", "end": "08:00"})
    with time_machine.travel(datetime(2026, 3, 10, 23, 30, tzinfo=PARIS), tick=False):
        calm, urgent = planner.reach(broadcast(saint_paul)), planner.reach(broadcast(saint_paul, urgent=True))
    assert (calm.held, calm.held_until) == (2, datetime(2026, 3, 11, 8, 0, tzinfo=PARIS))
    assert (urgent.held, urgent.held_until) == (0, None)
