"""A public message (a risk warning) goes to the commune's members and followers, each person once per channel;
members-only messages never reach followers. Quartiers, channels, stopped follows, STOP, batches and reach()."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pytest
from django.db import connection

from accounts.models import User
from communes.models import Commune, Follow, Membership, Neighbourhood
from conftest import Town
from notifications import planner
from notifications.models import Audience, Delivery, Device, Message, MessageStatus, SmsOptOut
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .helpers import member, message


def person(*, channels: list[str] | None = None, device: bool = True) -> User:
    """Someone with preferences and, unless told otherwise, a phone app registered."""
    prefs = {"channels": channels if channels is not None else ["push"], "categories": None, "quiet_hours": None}
    user: User = UserFactory.create(preferences=prefs)
    if device:
        Device.objects.create(user=user, fcm_token=f"token-{user.pk}-{'f' * 20}", platform="android")
    return user


def follow(user: User, commune: Commune, *, channels: Iterable[str] = (), quartiers: Iterable[Neighbourhood] = (),
           stopped: bool = False) -> User:  # fmt: skip
    row = Follow.objects.create(user=user, commune=commune, channels=list(channels))
    row.neighbourhoods.set(quartiers)
    if stopped:
        Follow.objects.filter(pk=row.pk).update(stopped_at=row.created_at)
    return user


def follower(commune: Commune, *, channels: list[str] | None = None, device: bool = True, **how: Any) -> User:
    return follow(person(channels=channels, device=device), commune, **how)


def warning(commune: Commune, **fields: Any) -> Message:
    values = {"kind": "broadcast", "category": "", "source_type": "warning", "audience": Audience.PUBLIC,
              "title": "Vigilance rouge inondation", "body": "Évitez les bords du Loup.", "urgent": True, **fields}  # fmt: skip
    return message(commune, **values)


def planned(msg: Message) -> Counter[tuple[int, str]]:
    planner.plan(msg.pk)
    return Counter(Delivery.objects.filter(message=msg).values_list("user_id", "channel"))


def channels_of(rows: Counter[tuple[int, str]], user: User) -> set[str]:
    return {channel for (who, channel) in rows if who == user.pk}


def test_a_member_who_follows_gets_one_delivery_per_channel(saint_paul: Town) -> None:
    both = follow(member(saint_paul.commune, channels=["push", "sms"]), saint_paul.commune)
    restricted = follow(member(saint_paul.commune, channels=["push"]), saint_paul.commune, channels=["push"])
    rows = planned(warning(saint_paul.commune))
    assert {key: n for key, n in rows.items() if n != 1} == {}
    assert channels_of(rows, both) == {"push", "sms"}
    assert channels_of(rows, restricted) == {"push"}


def test_members_and_followers_are_reached_but_not_pending_or_other_communes_people(
    saint_paul: Town, charleville: Town
) -> None:
    fan = follower(saint_paul.commune)
    elsewhere = follower(charleville.commune)
    users = {who for who, _ in planned(warning(saint_paul.commune))}
    personas = {saint_paul.mayor.pk, saint_paul.referent.pk, saint_paul.resident.pk, saint_paul.resident2.pk}
    assert users == personas | {fan.pk}
    assert elsewhere.pk not in users and saint_paul.applicant.pk not in users


@pytest.mark.parametrize("kind", ["alert", "broadcast", "followup", "reminder"])
def test_followers_never_get_members_only_messages(saint_paul: Town, kind: str) -> None:
    fan = follower(saint_paul.commune, channels=["push", "sms"])
    rows = planned(message(saint_paul.commune, kind=kind))
    assert rows and fan.pk not in {who for who, _ in rows}


def test_a_follower_with_quartiers_gets_warnings_for_them_or_the_whole_commune(saint_paul: Town) -> None:
    north, south = (NeighbourhoodFactory.create(commune=saint_paul.commune) for _ in range(2))
    northerner = follower(saint_paul.commune, quartiers=[north])
    everywhere = follower(saint_paul.commune)
    assert {northerner.pk, everywhere.pk} <= {who for who, _ in planned(warning(saint_paul.commune))}
    to_north = {who for who, _ in planned(warning(saint_paul.commune, neighbourhood_ids=[north.pk]))}
    to_south = {who for who, _ in planned(warning(saint_paul.commune, neighbourhood_ids=[south.pk]))}
    assert {northerner.pk, everywhere.pk} <= to_north
    assert everywhere.pk in to_south and northerner.pk not in to_south


def test_a_member_outside_the_quartier_is_reached_as_a_follower_of_it(saint_paul: Town) -> None:
    north, south = (NeighbourhoodFactory.create(commune=saint_paul.commune) for _ in range(2))
    southerner = member(saint_paul.commune, channels=["push", "sms"])
    Membership.objects.filter(user=southerner).update(neighbourhood=south)
    follow(southerner, saint_paul.commune, quartiers=[north], channels=["push"])
    rows = planned(warning(saint_paul.commune, neighbourhood_ids=[north.pk]))
    assert channels_of(rows, southerner) == {"push"}  # as the follower they are there, not as the member


@pytest.mark.parametrize(
    ("preferred", "device", "chosen", "expected"),
    [
        (["push", "sms"], True, ["push"], {"push"}),  # the follow restricts
        (["push", "sms"], True, ["sms"], {"sms"}),
        (["push"], True, ["sms"], {"sms"}),  # chosen for this commune: by SMS, whatever the app's setting
        (["push"], False, ["push"], set()),  # push alone and no device: no SMS in its place
        (["push"], False, [], {"sms"}),  # no choice: the preferences, as for members (SMS when no device)
        (["push", "sms"], True, [], {"push", "sms"}),
        ([], True, [], set()),  # nothing wanted at all
    ],
)
def test_a_followers_channels(saint_paul: Town, preferred: list[str], device: bool, chosen: list[str],
                              expected: set[str]) -> None:  # fmt: skip
    fan = follow(person(channels=preferred, device=device), saint_paul.commune, channels=chosen)
    assert channels_of(planned(warning(saint_paul.commune)), fan) == expected


def test_the_message_channels_bound_a_followers(saint_paul: Town) -> None:
    fan = follower(saint_paul.commune, channels=["push", "sms"])
    assert channels_of(planned(warning(saint_paul.commune, channels=["push"])), fan) == {"push"}


def test_a_warning_for_every_channel_is_not_narrowed_by_the_follow(saint_paul: Town) -> None:
    texter = follow(person(channels=["push"]), saint_paul.commune, channels=["sms"])
    assert channels_of(planned(warning(saint_paul.commune)), texter) == {"sms"}
    assert "push" in channels_of(planned(warning(saint_paul.commune, every_channel=True)), texter)


def test_stopped_followers_and_inactive_people_get_nothing(saint_paul: Town) -> None:
    stopped = follower(saint_paul.commune, stopped=True)
    gone = follower(saint_paul.commune)
    User.objects.filter(pk=gone.pk).update(is_active=False)
    users = {who for who, _ in planned(warning(saint_paul.commune))}
    assert stopped.pk not in users and gone.pk not in users


def test_the_sender_is_excluded_and_roles_leave_followers_out(saint_paul: Town) -> None:
    fan = follower(saint_paul.commune)
    assert fan.pk not in {who for who, _ in planned(warning(saint_paul.commune, exclude_user_id=fan.pk))}
    to_mayors = planned(warning(saint_paul.commune, roles=["mayor"]))
    assert {who for who, _ in to_mayors} == {saint_paul.mayor.pk}


def test_a_number_that_answered_stop_gets_no_sms(saint_paul: Town) -> None:
    texter = follower(saint_paul.commune, device=False, channels=["sms"])
    SmsOptOut.objects.create(phone=str(texter.phone))
    assert texter.pk not in {who for who, _ in planned(warning(saint_paul.commune, every_channel=True))}


def test_stop_wins_over_any_channel_rule(saint_paul: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's own guard: whatever preferences.channels_for answers (a red warning's rule), no SMS row
    is planned for a number that answered STOP."""
    texter = follower(saint_paul.commune, device=True)
    SmsOptOut.objects.create(phone=str(texter.phone))
    monkeypatch.setattr(planner, "channels_for", lambda message, who: ["push", "sms"])
    rows = planned(warning(saint_paul.commune, every_channel=True))
    assert channels_of(rows, texter) == {"push"}
    assert "sms" in channels_of(rows, saint_paul.resident)  # the guard stops only STOP'd numbers


def people_of_every_kind(town: Town) -> dict[str, User]:
    """Members, followers and both, created interleaved so that user ids alternate between the two streams."""
    commune = town.commune
    north = NeighbourhoodFactory.create(commune=commune)
    kinds = {
        "member": member(commune, channels=["push"]),
        "fan": follower(commune),
        "both": follow(member(commune, channels=["push", "sms"]), commune),
        "fan_sms": follow(person(device=False), commune, channels=["sms"]),  # by the public page: no app
        "fan_north": follower(commune, quartiers=[north]),
        "member2": member(commune, channels=["sms"]),
        "both_push_only": follow(member(commune, channels=["push", "sms"]), commune, channels=["push"]),
        "stopped": follower(commune, stopped=True),
        "silent": follower(commune, channels=[]),
        "fan_last": follower(commune),
    }
    opted_out = follower(commune, device=False, channels=["sms"])
    SmsOptOut.objects.create(phone=str(opted_out.phone))
    kinds["opted_out"] = opted_out
    kinds["applying"] = follower(commune)
    MembershipFactory.create(commune=commune, user=kinds["applying"], status="pending")  # not a member yet
    return kinds


@pytest.mark.parametrize("batch", [1, 2, 3, planner.PLAN_BATCH])
def test_batches_reach_everyone_once_and_a_replan_adds_nothing(
    saint_paul: Town, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(planner, "PLAN_BATCH", batch)
    people = people_of_every_kind(saint_paul)
    msg = warning(saint_paul.commune)
    rows = planned(msg)
    msg.refresh_from_db()
    assert msg.status == MessageStatus.PLANNED and max(rows)[0] <= msg.plan_cursor
    unreached = {"stopped", "silent", "opted_out"}
    personas = {saint_paul.mayor.pk, saint_paul.referent.pk, saint_paul.resident.pk, saint_paul.resident2.pk}
    assert {who for who, _ in rows} == personas | {u.pk for kind, u in people.items() if kind not in unreached}
    assert {key: n for key, n in rows.items() if n != 1} == {}
    assert channels_of(rows, people["both"]) == {"push", "sms"}
    assert channels_of(rows, people["both_push_only"]) == {"push", "sms"}  # the member's own channels count
    assert channels_of(rows, people["fan_sms"]) == {"sms"}
    assert not channels_of(rows, people["stopped"]) and not channels_of(rows, people["silent"])
    assert not channels_of(rows, people["opted_out"])
    Message.objects.filter(pk=msg.pk).update(status=MessageStatus.QUEUED, plan_cursor=0)
    assert planned(msg) == rows


@pytest.mark.parametrize("batch", [1, 2, planner.PLAN_BATCH])
@pytest.mark.parametrize("channels", [["push"], ["sms"], ["push", "sms"]])
def test_reach_counts_what_planning_writes(saint_paul: Town, monkeypatch: pytest.MonkeyPatch, batch: int,
                                           channels: list[str]) -> None:  # fmt: skip
    monkeypatch.setattr(planner, "PLAN_BATCH", batch)
    people_of_every_kind(saint_paul)
    msg = warning(saint_paul.commune, channels=channels)
    reach = planner.reach(msg)
    rows = planned(msg)
    by_channel = Counter(channel for _, channel in rows)
    assert (reach.push, reach.sms) == (by_channel["push"], by_channel["sms"])
    assert reach.reached == len({who for who, _ in rows})
    # 4 personas + member, both, member2, both_push_only; followers alone: fan, fan_sms, fan_north, silent,
    # fan_last, opted_out (not the stopped one; the pending applicant follows, so counts as a follower).
    assert (reach.members, reach.followers) == (8, 7)
    assert reach.unreached == reach.people - reach.reached


def test_reach_of_a_members_only_message_counts_no_follower(saint_paul: Town) -> None:
    people_of_every_kind(saint_paul)
    reach = planner.reach(message(saint_paul.commune, kind="broadcast"))
    assert (reach.members, reach.followers) == (8, 0)


@pytest.mark.postgres
def test_a_communes_people_can_be_read_in_user_order_from_indexes_of_their_own(saint_paul: Town,
                                                                               charleville: Town) -> None:  # fmt: skip
    """Both streams are read in user order. Without an index on (commune, user) PostgreSQL's only ordered path is
    to walk everyone's rows by user id, every commune's, for each batch; with sorting ruled out, the plan shows
    which ordered path exists."""
    users = User.objects.bulk_create(User(phone=f"+336130{n:05d}") for n in range(6000))
    Membership.objects.bulk_create(Membership(user=u, commune=charleville.commune, status="approved", address="x")
                                   for u in users[:3000])  # fmt: skip
    Follow.objects.bulk_create(Follow(user=u, commune=charleville.commune) for u in users[3000:])
    for n, user in enumerate(users[:40]):
        follow(user, saint_paul.commune, stopped=n % 2 == 0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE communes_membership, communes_follow, accounts_user")
        cursor.execute("SET LOCAL enable_sort = off")
    msg = warning(saint_paul.commune)
    members = planner._targeted_members(msg).filter(user_id__gt=0).order_by("user_id")[: planner.PLAN_BATCH]
    followers = planner._targeted_followers(msg).filter(user_id__gt=0).order_by("user_id")[: planner.PLAN_BATCH]
    assert "using membership_commune_user on communes_membership" in members.explain()
    assert "using follow_commune_active on communes_follow" in followers.explain()
