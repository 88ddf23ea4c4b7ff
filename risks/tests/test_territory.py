"""A warning over several communes: one row per commune tied by a group, the mayors told first, one public message
reaching each person once, updates and the end under the group's tag, radius selection, partnerships."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from accounts.models import User
from accounts.rgpd import erase_user
from audit.models import AuditEntry
from communes.models import Commune, Follow, Role
from communes.territories import find_territory
from conftest import Town
from notifications import planner
from notifications.composer import sms_text
from notifications.models import Audience, Delivery, Device, Message, MessageKind, MessageSource
from notifications.voice import spoken_text
from risks.access import area_warnable, may_warn_area
from risks.models import AreaKind, Level, MessageType, WarningPartnership
from risks.selectors import listed_threads
from risks.services import Area, Content, warning_update
from risks.territory import (
    AreaWarningResult,
    area_warning_end,
    area_warning_issue,
    area_warning_preview,
    area_warning_update,
    communes_within,
    distance_km,
    fanout_source,
)
from tests.factories import MembershipFactory, UserFactory
from vigilants.errors import Conflict

pytestmark = pytest.mark.django_db


def content(**fields: Any) -> Content:
    values: dict[str, Any] = {"hazard": "flood", "level": Level.ORANGE, "title": "Crue du Loup",
                              "description": "Le Loup déborde de Gréolières à la mer.",
                              "instruction": "Ne prenez pas votre voiture.",
                              "expires_at": timezone.now() + timedelta(hours=12), **fields}  # fmt: skip
    return Content(**values)


def person(channels: list[str]) -> User:
    user: User = UserFactory.create(preferences={"channels": channels, "categories": None, "quiet_hours": None})
    Device.objects.create(user=user, fcm_token=f"token-{user.pk}-{'f' * 20}", platform="android")
    return user


def follow(user: User, commune: Commune, channels: list[str] | None = None) -> User:
    Follow.objects.create(user=user, commune=commune, channels=channels or [])
    return user




def planned(message: Message) -> Counter[tuple[int, str]]:
    planner.plan(message.pk)
    return Counter(Delivery.objects.filter(message=message).values_list("user_id", "channel"))


def issue(towns: list[Town], actor: User | None, **fields: Any) -> AreaWarningResult:
    return area_warning_issue(communes=[t.commune for t in towns], content=content(**fields), actor=actor)


# --- What is written -----------------------------------------------------------------------------------------


def test_one_row_per_commune_one_group_one_public_message(saint_paul: Town, vence: Town, cagnes: Town,
                                                          operator_06: User) -> None:  # fmt: skip
    result = issue([saint_paul, vence, cagnes], operator_06)
    assert sorted(w.commune.insee for w in result.warnings) == ["06027", "06128", "06157"]
    assert {w.group_id for w in result.warnings} == {result.group.pk}
    assert {w.msg_type for w in result.warnings} == {MessageType.ALERT}
    assert {w.notification_tag for w in result.warnings} == {f"area-warning-{result.group.pk}"}
    message = result.message
    assert message.audience == Audience.PUBLIC and message.thread_tag == f"area-warning-{result.group.pk}"
    assert sorted(message.commune_ids or []) == sorted(t.commune.pk for t in (saint_paul, vence, cagnes))
    assert message.commune_id == min(message.commune_ids or [])
    assert Message.objects.filter(audience=Audience.PUBLIC, source_type=MessageSource.WARNING).count() == 1
    territory = find_territory("departement", "06")
    assert territory is not None and result.group.sender == territory.name  # who the mayors are told sent it
    # Audit: one entry per commune, in that commune.
    entries = AuditEntry.objects.filter(action="warning.issued")
    assert sorted(e.commune_id or 0 for e in entries) == sorted(t.commune.pk for t in (saint_paul, vence, cagnes))
    assert all(e.actor_id == operator_06.pk and (e.after or {})["group"] == result.group.pk for e in entries)


def test_each_commune_lists_it_and_its_mayors_are_told_first(saint_paul: Town, vence: Town,
                                                             operator_06: User) -> None:  # fmt: skip
    result = issue([saint_paul, vence], operator_06)
    for town in (saint_paul, vence):
        listed = list(listed_threads(town.commune))
        assert [w.group_id for w in listed] == [result.group.pk]
    assert len(result.notices) == 2
    for notice in result.notices:
        assert notice.roles == [Role.MAYOR] and notice.kind == MessageKind.REMINDER
        assert notice.source_type == MessageSource.WARNING_NOTICE
        assert notice.pk < result.message.pk and notice.created_at <= result.message.created_at
        assert result.group.sender in notice.title and "Crue du Loup" in notice.body
        rows = planned(notice)
        town = saint_paul if notice.commune_id == saint_paul.commune.pk else vence
        assert {who for who, _ in rows} == {town.mayor.pk}  # the mayor alone, not the referent nor residents


def test_a_person_of_several_communes_gets_it_once_per_channel(saint_paul: Town, vence: Town, cagnes: Town,
                                                               operator_06: User) -> None:  # fmt: skip
    member_and_follower = person(["push", "sms"])
    MembershipFactory.create(commune=saint_paul.commune, user=member_and_follower, role=Role.RESIDENT)
    follow(member_and_follower, vence.commune)
    follow(member_and_follower, cagnes.commune, ["sms"])
    double_follower = follow(follow(person(["push"]), vence.commune, ["push"]), cagnes.commune, ["sms"])
    rows = planned(issue([saint_paul, vence, cagnes], operator_06).message)
    assert {key: n for key, n in rows.items() if n != 1} == {}
    assert {c for (who, c) in rows if who == member_and_follower.pk} == {"push", "sms"}
    # Two follows, two choices: the union of both.
    assert {c for (who, c) in rows if who == double_follower.pk} == {"push", "sms"}
    everyone = {t.mayor.pk for t in (saint_paul, vence, cagnes)} | {t.resident.pk for t in (saint_paul, vence, cagnes)}
    assert everyone <= {who for who, _ in rows}


def test_a_follower_of_two_communes_once(saint_paul: Town, vence: Town, operator_06: User) -> None:
    fan = follow(follow(person(["push"]), saint_paul.commune), vence.commune)
    result = issue([saint_paul, vence], operator_06)
    rows = planned(result.message)
    assert rows[(fan.pk, "push")] == 1 and sum(1 for who, _ in rows if who == fan.pk) == 1
    preview = area_warning_preview(communes=[saint_paul.commune, vence.commune], content=content(), actor=operator_06)
    assert preview.reach.reached == len({who for who, _ in rows})
    assert preview.reach.push == sum(1 for _, c in rows if c == "push")


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_batch_boundaries_neither_drop_nor_double_anyone(saint_paul: Town, vence: Town, cagnes: Town,
                                                         operator_06: User, monkeypatch: pytest.MonkeyPatch,
                                                         batch: int) -> None:  # fmt: skip
    monkeypatch.setattr(planner, "PLAN_BATCH", batch)
    towns = [saint_paul, vence, cagnes]
    many: list[User] = []
    for i in range(1, 8):  # members of one, two or three communes, following others (or the same) besides
        who = person(["push", "sms"] if i % 2 else ["push"])
        for j, town in enumerate(towns):
            if i >> j & 1:
                MembershipFactory.create(commune=town.commune, user=who, role=Role.RESIDENT)
            if (i * 3 % 8) >> j & 1:
                follow(who, town.commune, ["sms"] if i % 3 == 0 else [])
        many.append(who)
    for _ in range(3):  # followers of two and three communes alone
        many += [follow(follow(person(["push"]), vence.commune), cagnes.commune, ["sms"])]
        many += [follow(follow(follow(person(["sms"]), saint_paul.commune), vence.commune), cagnes.commune)]
    result = issue(towns, operator_06)
    reach = planner.reach(result.message)
    rows = planned(result.message)
    assert {key: n for key, n in rows.items() if n != 1} == {}
    personas = {getattr(t, r).pk for t in towns for r in ("mayor", "referent", "resident", "resident2")}
    assert {who for who, _ in rows} == (personas | {u.pk for u in many}) - {operator_06.pk}
    assert reach.reached == len({who for who, _ in rows}) and reach.sms == sum(1 for _, c in rows if c == "sms")
    # The same people whatever the batch size: as planned in one go.
    monkeypatch.setattr(planner, "PLAN_BATCH", 2000)
    again = area_warning_issue(communes=[t.commune for t in towns], content=content(), actor=operator_06)
    assert Counter(Delivery.objects.filter(message=again.message).values_list("user_id", "channel")) == Counter() and (
        planned(again.message) == rows)


# --- Update and end ------------------------------------------------------------------------------------------


def test_update_and_end_replace_it_under_the_same_tag(saint_paul: Town, vence: Town, operator_06: User) -> None:
    first = issue([saint_paul, vence], operator_06)
    update = area_warning_update(group=first.group, actor=operator_06, level=Level.RED, description="Le pont est fermé.")
    assert {w.msg_type for w in update.warnings} == {MessageType.UPDATE}
    assert {w.references_id for w in update.warnings} == {w.pk for w in first.warnings}
    assert update.message.replaces_id == first.message.pk and update.message.every_channel
    end = area_warning_end(group=first.group, actor=operator_06, text="La décrue est amorcée.")
    assert {w.msg_type for w in end.warnings} == {MessageType.CANCEL}
    assert end.message.replaces_id == update.message.pk and not end.message.urgent
    tags = {m.collapse_key for m in (first.message, update.message, end.message)}
    assert tags == {f"area-warning-{first.group.pk}"}
    assert AuditEntry.objects.filter(action="warning.ended").count() == 2
    with pytest.raises(Conflict):
        area_warning_update(group=first.group, actor=operator_06, title="Encore")
    # One commune's row alone cannot be updated: the group is.
    with pytest.raises(Conflict):
        warning_update(previous=first.warnings[0], actor=saint_paul.mayor, title="Seul")


# --- Refusals ------------------------------------------------------------------------------------------------


def test_refusals_write_nothing(saint_paul: Town, vence: Town, operator_06: User) -> None:
    Commune.objects.filter(pk=vence.commune.pk).update(enrolled=False)
    vence.commune.refresh_from_db()
    cases: list[tuple[list[Commune], Content, str]] = [
        ([], content(), "communes"),
        ([saint_paul.commune, vence.commune], content(), "communes"),
        ([saint_paul.commune], content(area=Area(kind=AreaKind.CIRCLE, latitude=43.7, longitude=7.12, radius_m=500)),
         "area_kind"),
        ([saint_paul.commune], content(expires_at=timezone.now() - timedelta(hours=1)), "expires_at"),
    ]  # fmt: skip
    for communes, what, field in cases:
        with pytest.raises(ValidationError) as refused:
            area_warning_issue(communes=communes, content=what, actor=operator_06)
        assert isinstance(refused.value.detail, dict) and field in refused.value.detail
    assert not Message.objects.exists() and not AuditEntry.objects.filter(action="warning.issued").exists()


# --- Where ---------------------------------------------------------------------------------------------------


def test_communes_within_a_radius(saint_paul: Town, vence: Town, cagnes: Town, charleville: Town) -> None:
    among = Commune.objects.filter(enrolled=True)
    assert distance_km(43.0, 7.0, 44.0, 7.0) == pytest.approx(111.2, abs=0.2)
    # From the centre of Saint-Paul-de-Vence: Vence's and Cagnes' land begins within 3 km; Charleville is 700 km.
    assert [c.insee for c in communes_within(43.69687, 7.12212, 3, among)] == ["06027", "06128", "06157"]
    assert [c.insee for c in communes_within(43.69687, 7.12212, 50, among)] == ["06027", "06128", "06157"]
    # North of Vence, 8 km away from Cagnes' box: Vence alone within 2 km.
    assert [c.insee for c in communes_within(43.79, 7.10, 2, among)] == ["06157"]
    assert communes_within(45.0, 2.0, 10, among) == []


# --- Who may --------------------------------------------------------------------------------------------------


def test_who_may_include_a_commune(saint_paul: Town, vence: Town, charleville: Town, operator_06: User,
                                   operator_nca: User, gendarme_06: User, staff: User) -> None:  # fmt: skip
    assert may_warn_area(operator_06, saint_paul.commune) and may_warn_area(operator_06, vence.commune)
    assert not may_warn_area(operator_06, charleville.commune)
    assert may_warn_area(operator_nca, saint_paul.commune) and not may_warn_area(operator_nca, vence.commune)
    assert may_warn_area(staff, charleville.commune)
    for nobody in (gendarme_06, saint_paul.resident, saint_paul.referent):
        assert not may_warn_area(nobody, saint_paul.commune)
    # A mayor: their own commune; another only once its mayors agreed.
    assert may_warn_area(saint_paul.mayor, saint_paul.commune) and not may_warn_area(saint_paul.mayor, vence.commune)
    WarningPartnership.objects.create(commune=vence.commune, partner=saint_paul.commune, granted_by=vence.mayor)
    assert may_warn_area(saint_paul.mayor, vence.commune)
    assert not may_warn_area(vence.mayor, saint_paul.commune)  # one way
    assert set(area_warnable(saint_paul.mayor)) == {saint_paul.commune, vence.commune}
    assert set(area_warnable(operator_06)) == {saint_paul.commune, vence.commune}
    assert set(area_warnable(gendarme_06)) == set()
    # A non-enrolled commune is nobody's to warn.
    Commune.objects.filter(pk=vence.commune.pk).update(enrolled=False)
    vence.commune.refresh_from_db()
    assert not may_warn_area(staff, vence.commune) and not may_warn_area(saint_paul.mayor, vence.commune)


def test_the_sms_and_the_call_name_the_sender_not_one_commune(saint_paul: Town, vence: Town,
                                                              operator_06: User) -> None:  # fmt: skip
    message = issue([saint_paul, vence], operator_06).message
    assert sms_text(message).startswith("URGENT Vigilants : Vigilance orange : Crue du Loup - Avis de ")
    assert "pour 2 communes." in message.body and "Saint-Paul" not in sms_text(message)
    assert spoken_text(message).startswith("Message de Vigilants pour votre secteur. Vigilance orange")
    single = Message.objects.filter(commune=saint_paul.commune, commune_ids__isnull=True, audience=Audience.PUBLIC)
    assert not single.exists()  # nothing sent commune by commune besides the mayors' notices


def test_the_mayors_are_planned_before_the_residents(saint_paul: Town, vence: Town, operator_06: User,
                                                     django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = issue([saint_paul, vence], operator_06)
    public = Message.objects.get(pk=result.message.pk)
    notices = Message.objects.filter(pk__in=[n.pk for n in result.notices])
    assert public.planned_at is not None and all(n.planned_at is not None for n in notices)
    assert max(n.planned_at for n in notices if n.planned_at) <= public.planned_at
    first_public = Delivery.objects.filter(message=public).order_by("pk").values_list("pk", flat=True)[0]
    assert Delivery.objects.filter(message__in=notices, pk__lt=first_public).count() == 2  # both mayors, first


def test_every_commune_s_row_leads_to_the_one_public_message(saint_paul: Town, vence: Town, cagnes: Town,
                                                              operator_06: User) -> None:  # fmt: skip
    first = issue([saint_paul, vence, cagnes], operator_06)
    update = area_warning_update(group=first.group, actor=operator_06, title="Crue du Loup, suite")
    for result in (first, update):
        assert {fanout_source(row) for row in result.warnings} == {result.message.source_id}
    lone = area_warning_issue(communes=[vence.commune], content=content(), actor=operator_06)
    assert fanout_source(lone.warnings[0]) == lone.message.source_id == lone.warnings[0].pk


def test_erasing_the_sender_keeps_the_group_without_its_author(saint_paul: Town, vence: Town,
                                                               operator_06: User) -> None:  # fmt: skip
    WarningPartnership.objects.create(commune=vence.commune, partner=saint_paul.commune, granted_by=vence.mayor)
    result = issue([saint_paul, vence], operator_06)
    erase_user(operator_06)
    erase_user(vence.mayor)
    result.group.refresh_from_db()
    assert result.group.issued_by_id is None and result.group.sender and result.group.warnings.count() == 2
    assert WarningPartnership.objects.get().granted_by_id is None
