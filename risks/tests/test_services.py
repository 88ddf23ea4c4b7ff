"""Issuing, updating and ending a public warning: the thread, its messages, its refusals, the audit log."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from audit.models import AuditEntry
from communes.models import Membership, Role
from conftest import Town
from notifications.models import Audience, MessageKind, MessageSource
from risks.access import may_warn
from risks.models import (
    AreaKind,
    Certainty,
    Hazard,
    Level,
    MessageType,
    RiskWarning,
    Severity,
    Urgency,
    WarningDelegate,
)
from risks.services import (
    Area,
    delegate_grant,
    delegate_revoke,
    risk_policy_update,
    warning_end,
    warning_update,
)
from tests.factories import NeighbourhoodFactory
from vigilants.errors import Conflict

from .helpers import issue, message_of

pytestmark = pytest.mark.django_db


def errors(refused: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    detail = refused.value.detail
    assert isinstance(detail, dict)
    return {name: [str(m) for m in messages] for name, messages in detail.items()}


# --- The thread ----------------------------------------------------------------------------------------------


def test_a_warning_goes_to_members_and_followers_under_its_threads_tag(saint_paul: Town) -> None:
    warning = issue(saint_paul)
    message = message_of(warning)
    assert (warning.msg_type, warning.thread_id, warning.references_id) == (MessageType.ALERT, None, None)
    assert (warning.severity, warning.urgency, warning.certainty) == (Severity.SEVERE, Urgency.EXPECTED, Certainty.LIKELY)
    assert message.audience == Audience.PUBLIC
    assert (message.source_type, message.source_id) == (MessageSource.WARNING, warning.pk)
    assert message.thread_tag == warning.notification_tag == f"warning-{warning.pk}" == message.collapse_key
    assert message.kind == MessageKind.BROADCAST and message.channels == ["push", "sms", "voice"]
    assert message.urgent and not message.every_channel  # orange: at once, by each person's channels
    assert message.exclude_user_id == saint_paul.mayor.pk  # who wrote it knows it
    assert message.title == "Vigilance orange : Crue du Loup"
    assert "Le Loup déborde" in message.body and "Ne prenez pas votre voiture." in message.body
    assert "Valable jusqu'au" in message.body


def test_red_goes_by_every_channel_and_yellow_waits_for_quiet_hours(saint_paul: Town) -> None:
    red, yellow = issue(saint_paul, level=Level.RED), issue(saint_paul, level=Level.YELLOW)
    assert message_of(red).every_channel and message_of(red).urgent
    assert not message_of(yellow).every_channel and not message_of(yellow).urgent
    assert (red.severity, red.urgency) == (Severity.EXTREME, Urgency.IMMEDIATE)


def test_the_mayor_may_set_the_cap_triple_instead_of_the_levels(saint_paul: Town) -> None:
    warning = issue(saint_paul, severity=Severity.MINOR, certainty=Certainty.OBSERVED)
    assert (warning.severity, warning.urgency, warning.certainty) == (Severity.MINOR, Urgency.EXPECTED, Certainty.OBSERVED)


def test_updates_and_the_end_form_one_thread_with_one_tag(saint_paul: Town) -> None:
    first = issue(saint_paul)
    update = warning_update(previous=first, actor=saint_paul.mayor, level=Level.RED, description="Le pont est fermé.")
    end = warning_end(previous=update, actor=saint_paul.mayor, text="La décrue est amorcée.")
    assert (update.msg_type, update.thread_id, update.references_id) == (MessageType.UPDATE, first.pk, first.pk)
    assert (end.msg_type, end.thread_id, end.references_id) == (MessageType.CANCEL, first.pk, update.pk)
    tags = {w.notification_tag for w in (first, update, end)} | {message_of(w).collapse_key for w in (first, update, end)}
    assert tags == {f"warning-{first.pk}"}
    assert message_of(update).replaces == message_of(first) and message_of(end).replaces == message_of(update)
    # What did not change is kept; a new level brings its own CAP triple.
    assert (update.title, update.instruction, update.severity) == (first.title, first.instruction, Severity.EXTREME)
    assert message_of(update).every_channel and message_of(update).title.startswith("Mise à jour – Vigilance rouge")
    # The end brings no danger: neither urgent nor by every channel; it says why.
    assert not message_of(end).urgent and not message_of(end).every_channel
    assert message_of(end).title == "Fin de l'avis : Crue du Loup" and message_of(end).body == "La décrue est amorcée."


def test_an_update_keeps_a_chosen_triple_unless_the_level_changes(saint_paul: Town) -> None:
    first = issue(saint_paul, severity=Severity.MINOR)
    same = warning_update(previous=first, actor=saint_paul.mayor, title="Crue du Loup, suite")
    assert same.severity == Severity.MINOR
    other = warning_update(previous=same, actor=saint_paul.mayor, level=Level.YELLOW)
    assert other.severity == Severity.MODERATE


def test_an_ended_thread_cannot_be_updated_nor_ended_again(saint_paul: Town) -> None:
    first = issue(saint_paul)
    end = warning_end(previous=first, actor=saint_paul.mayor, text="Fin.")
    for previous in (first, end):
        with pytest.raises(Conflict):
            warning_update(previous=previous, actor=saint_paul.mayor, title="Encore")
        with pytest.raises(Conflict):
            warning_end(previous=previous, actor=saint_paul.mayor, text="Encore")
    assert RiskWarning.objects.count() == 2


def test_an_update_must_start_from_the_threads_latest_row(saint_paul: Town) -> None:
    first = issue(saint_paul)
    warning_update(previous=first, actor=saint_paul.mayor, title="Deuxième")
    with pytest.raises(Conflict, match="plus récente"):
        warning_update(previous=first, actor=saint_paul.mayor, title="Troisième, d'après la première")
    assert RiskWarning.objects.count() == 2


def test_an_expired_warning_is_not_updated_but_may_be_ended(saint_paul: Town) -> None:
    first = issue(saint_paul, expires_at=timezone.now() + timedelta(hours=1))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        with pytest.raises(Conflict, match="expiré"):
            warning_update(previous=first, actor=saint_paul.mayor, expires_at=timezone.now() + timedelta(hours=5))
        end = warning_end(previous=first, actor=saint_paul.mayor, text="C'est fini.")
    assert end.msg_type == MessageType.CANCEL


def test_the_end_needs_a_reason(saint_paul: Town) -> None:
    first = issue(saint_paul)
    with pytest.raises(ValidationError) as refused:
        warning_end(previous=first, actor=saint_paul.mayor, text="  ")
    assert list(errors(refused)) == ["text"]


# --- Refusals: nothing written, nothing sent -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "expires_at"),
        ({"expires_at": timezone.now() + timedelta(days=40)}, "expires_at"),
        ({"title": "   "}, "title"),
        ({"area": Area(kind=AreaKind.NEIGHBOURHOODS)}, "neighbourhoods"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=43.69, longitude=7.12)}, "radius_m"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=43.69, longitude=7.12, radius_m=30)}, "radius_m"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=43.69, longitude=7.12, radius_m=50_000)}, "radius_m"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=95.0, longitude=7.12, radius_m=500)}, "latitude"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=float("nan"), longitude=7.12, radius_m=500)}, "latitude"),
        ({"area": Area(kind=AreaKind.CIRCLE, latitude=48.85, longitude=2.35, radius_m=500)}, "latitude"),  # Paris
    ],
)
def test_bad_content_is_refused_by_field_and_nothing_goes(saint_paul: Town, fields: dict, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        issue(saint_paul, **fields)
    assert field in errors(refused)
    assert not RiskWarning.objects.exists()


def test_a_quartier_of_another_commune_is_refused(saint_paul: Town, charleville: Town) -> None:
    theirs = NeighbourhoodFactory.create(commune=charleville.commune)
    with pytest.raises(ValidationError) as refused:
        issue(saint_paul, area=Area(kind=AreaKind.NEIGHBOURHOODS, neighbourhoods=(theirs,)))
    assert "neighbourhoods" in errors(refused)


def test_an_area_targets_its_quartiers_and_a_circle_the_whole_commune(saint_paul: Town) -> None:
    north = NeighbourhoodFactory.create(commune=saint_paul.commune)
    targeted = issue(saint_paul, area=Area(kind=AreaKind.NEIGHBOURHOODS, neighbourhoods=(north,)))
    assert message_of(targeted).neighbourhood_ids == [north.pk]
    assert list(targeted.neighbourhoods.all()) == [north]
    circle = issue(saint_paul, area=Area(kind=AreaKind.CIRCLE, latitude=43.697, longitude=7.122, radius_m=800))
    assert message_of(circle).neighbourhood_ids is None
    assert (circle.latitude, circle.longitude, circle.radius_m) == (43.697, 7.122, 800)


def test_an_invalid_update_writes_nothing(saint_paul: Town) -> None:
    first = issue(saint_paul)
    with pytest.raises(ValidationError):
        warning_update(previous=first, actor=saint_paul.mayor, expires_at=timezone.now() - timedelta(hours=1))
    assert RiskWarning.objects.count() == 1


# --- The audit log -------------------------------------------------------------------------------------------


def test_each_row_is_in_the_communes_audit_log(saint_paul: Town) -> None:
    first = issue(saint_paul)
    update = warning_update(previous=first, actor=saint_paul.mayor, level=Level.RED)
    warning_end(previous=update, actor=saint_paul.mayor, text="Fin.")
    entries = AuditEntry.objects.filter(commune=saint_paul.commune).order_by("id")
    assert [e.action for e in entries] == ["warning.issued", "warning.updated", "warning.ended"]
    assert {e.actor_id for e in entries} == {saint_paul.mayor.pk}
    issued, updated = entries[0].after or {}, entries[1]
    assert (updated.before or {})["level"] == Level.ORANGE and (updated.after or {})["level"] == Level.RED
    assert issued["title"] == "Crue du Loup" and issued["thread"] == first.pk


# --- Delegates and rules -------------------------------------------------------------------------------------


def test_a_mayor_delegates_to_a_referent_who_then_may_warn(saint_paul: Town) -> None:
    commune, referent = saint_paul.commune, saint_paul.referent
    assert not may_warn(referent, commune)
    delegate = delegate_grant(commune=commune, actor=saint_paul.mayor, user=referent)
    assert may_warn(referent, commune) and delegate.granted_by == saint_paul.mayor
    with pytest.raises(Conflict):
        delegate_grant(commune=commune, actor=saint_paul.mayor, user=referent)
    delegate_revoke(delegate=delegate, actor=saint_paul.mayor)
    assert not may_warn(referent, commune)
    actions = list(AuditEntry.objects.filter(commune=commune).order_by("id").values_list("action", flat=True))
    assert actions == ["warning_delegate.granted", "warning_delegate.revoked"]


def test_only_a_referent_is_delegated_and_a_demoted_one_loses_it(saint_paul: Town, charleville: Town) -> None:
    commune = saint_paul.commune
    for stranger in (saint_paul.resident, charleville.referent):
        with pytest.raises(ValidationError):
            delegate_grant(commune=commune, actor=saint_paul.mayor, user=stranger)
    delegate_grant(commune=commune, actor=saint_paul.mayor, user=saint_paul.referent)
    Membership.objects.filter(user=saint_paul.referent, commune=commune).update(role=Role.RESIDENT)
    assert not may_warn(saint_paul.referent, commune)
    assert WarningDelegate.objects.filter(user=saint_paul.referent).exists()  # kept, shown inactive on the desk


def test_mayors_and_staff_may_warn_residents_and_strangers_may_not(saint_paul: Town, charleville: Town, staff) -> None:
    commune = saint_paul.commune
    assert may_warn(saint_paul.mayor, commune) and may_warn(staff, commune)
    assert not may_warn(saint_paul.resident, commune) and not may_warn(charleville.mayor, commune)


def test_the_policy_change_is_logged(saint_paul: Town) -> None:
    policy = risk_policy_update(commune=saint_paul.commune, actor=saint_paul.mayor, relay_red_automatically=True)
    assert policy.relay_red_automatically
    entry = AuditEntry.objects.get(action="risk_policy.changed")
    assert (entry.before, entry.after) == ({"relay_red_automatically": False}, {"relay_red_automatically": True})


def test_hazards_of_the_issue_are_all_accepted(saint_paul: Town) -> None:
    for hazard in Hazard.values:
        issue(saint_paul, hazard=hazard, level=Level.INFORMATION)
    assert RiskWarning.objects.count() == len(Hazard.values)
