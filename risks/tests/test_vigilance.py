"""The State's vigilance rises over a commune: its mayors and referents are prompted at once; residents get
nothing unless a person relays it, or the commune's policy relays red by itself; everything is in the audit log."""

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEntry
from conftest import Town
from notifications import composer, planner
from notifications.models import Delivery, Message, MessageKind, MessageSource
from risks import prompts
from risks.models import Hazard, Level, Origin, RiskWarning, VigilanceOutcome, VigilanceSource
from risks.selectors import open_vigilance
from risks.services import risk_policy_update, vigilance_dismiss, vigilance_draft, vigilance_relay
from risks.signals import vigilance_rose
from vigilants.errors import Conflict

from .helpers import change, message_of

pytestmark = pytest.mark.django_db


def prompts_sent() -> list[Message]:
    return list(Message.objects.filter(source_type=MessageSource.VIGILANCE))


def warnings_sent() -> int:
    return Message.objects.filter(source_type=MessageSource.WARNING).count()


def actions(town: Town) -> list[str]:
    return list(AuditEntry.objects.filter(commune=town.commune).order_by("id").values_list("action", flat=True))


def test_a_rise_prompts_the_mayors_and_referents_and_nobody_else(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.ORANGE)
    vigilance_rose.send(sender=None, change=rise)
    [prompt] = prompts_sent()
    assert (prompt.kind, prompt.urgent, prompt.source_id) == (MessageKind.REMINDER, True, rise.pk)
    assert sorted(prompt.roles or []) == ["mayor", "referent"]
    assert prompt.title == "Vigilance orange : inondation"
    link = f"{settings.PUBLIC_BASE_URL}/desk/communes/06128/risks/vigilance/{rise.pk}/"
    assert link in prompt.body and link in composer.sms_text(prompt)  # the SMS keeps it, cut to one segment
    planner.plan(prompt.pk)
    reached = set(Delivery.objects.filter(message=prompt).values_list("user_id", flat=True))
    assert reached == {saint_paul.mayor.pk, saint_paul.referent.pk}
    assert warnings_sent() == 0 and not RiskWarning.objects.exists()  # nothing to residents
    assert actions(saint_paul) == ["vigilance.prompted"]
    assert (AuditEntry.objects.get(action="vigilance.prompted").after or {})["level"] == Level.ORANGE


def test_the_same_change_announced_twice_prompts_once(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.RED)
    vigilance_rose.send(sender=None, change=rise)
    vigilance_rose.send(sender=None, change=rise)
    assert len(prompts_sent()) == 1 and actions(saint_paul) == ["vigilance.prompted"]


def test_a_level_that_did_not_rise_to_orange_prompts_nobody(saint_paul: Town) -> None:
    vigilance_rose.send(sender=None, change=change(saint_paul, Level.YELLOW, previous_level=""))
    assert not prompts_sent() and not actions(saint_paul)


def test_red_is_relayed_at_once_where_the_policy_says_so(saint_paul: Town) -> None:
    risk_policy_update(commune=saint_paul.commune, actor=saint_paul.mayor, relay_red_automatically=True)
    rise = change(saint_paul, Level.RED)
    vigilance_rose.send(sender=None, change=rise)
    rise.refresh_from_db()
    warning = RiskWarning.objects.get()
    assert rise.relayed_as == warning
    assert (warning.origin, warning.issued_by, warning.level, warning.hazard) == (Origin.VIGILANCE, None, Level.RED, Hazard.FLOOD)
    assert warning.instruction.startswith("Mettez-vous à l'abri")  # the ready text of a red flood
    assert warning.expires_at == rise.expires
    assert message_of(warning).every_channel  # to residents, by every channel
    assert (rise.decision.outcome, rise.decision.automatic, rise.decision.decided_by) == (VigilanceOutcome.RELAYED, True, None)
    [prompt] = prompts_sent()  # the mayors are still told, and where to follow it
    assert "automatiquement" in prompt.body and f"/risks/{warning.pk}/" in prompt.body
    assert actions(saint_paul) == ["risk_policy.changed", "vigilance.prompted", "warning.issued", "vigilance.relayed"]
    relayed = AuditEntry.objects.get(action="vigilance.relayed")
    assert relayed.actor_id is None and relayed.after == {"warning": warning.pk, "automatic": True}


@pytest.mark.parametrize(("level", "policy"), [(Level.RED, False), (Level.ORANGE, True)])
def test_otherwise_nothing_reaches_residents_without_a_person(saint_paul: Town, level: str, policy: bool) -> None:
    risk_policy_update(commune=saint_paul.commune, actor=saint_paul.mayor, relay_red_automatically=policy)
    vigilance_rose.send(sender=None, change=change(saint_paul, level))
    assert warnings_sent() == 0 and len(prompts_sent()) == 1


def test_a_person_relays_the_prefilled_warning_once(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.ORANGE, headline="Crue du Loup")
    vigilance_rose.send(sender=None, change=rise)
    warning = vigilance_relay(change=rise, actor=saint_paul.mayor, title="Le Loup monte")
    rise.refresh_from_db()
    assert rise.relayed_as == warning and warning.issued_by == saint_paul.mayor and warning.origin == Origin.VIGILANCE
    assert warning.title == "Le Loup monte" and "Vigicrues annonce une vigilance orange" in warning.description
    assert (rise.decision.outcome, rise.decision.automatic) == (VigilanceOutcome.RELAYED, False)
    with pytest.raises(Conflict):
        vigilance_dismiss(change=rise, actor=saint_paul.referent)
    with pytest.raises(Conflict):
        vigilance_relay(change=rise, actor=saint_paul.mayor)
    assert warnings_sent() == 1
    assert actions(saint_paul)[-2:] == ["warning.issued", "vigilance.relayed"]
    assert AuditEntry.objects.get(action="vigilance.relayed").actor_id == saint_paul.mayor.pk


def test_a_person_may_decide_not_to_relay(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.ORANGE)
    assert list(open_vigilance(saint_paul.commune)) == [rise]
    vigilance_dismiss(change=rise, actor=saint_paul.mayor)
    assert not open_vigilance(saint_paul.commune).exists()
    assert rise.decision.outcome == VigilanceOutcome.DISMISSED and warnings_sent() == 0
    entry = AuditEntry.objects.get(action="vigilance.dismissed")
    assert entry.actor_id == saint_paul.mayor.pk and entry.object_id == str(rise.pk)


def test_relaying_with_another_level_proposes_that_levels_instructions(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.ORANGE)
    warning = vigilance_relay(change=rise, actor=saint_paul.mayor, level=Level.RED)
    assert warning.instruction.startswith("Mettez-vous à l'abri")


def test_the_draft_fills_what_the_source_gave_and_a_day_when_it_gives_no_end(saint_paul: Town) -> None:
    rise = change(saint_paul, Level.RED, hazard=Hazard.STORM, source=VigilanceSource.METEO_FRANCE, expires=None,
                  area_name="", description="")  # fmt: skip
    draft = vigilance_draft(rise)
    assert draft.title == "Tempête, vents violents : vigilance rouge"
    assert draft.description == "Météo-France annonce une vigilance rouge (tempête, vents violents)."
    assert abs(draft.expires_at - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)
    assert draft.instruction.startswith("Restez chez vous")


def test_open_prompts_leave_out_decided_expired_and_overtaken_changes(saint_paul: Town) -> None:
    expired = change(saint_paul, Level.ORANGE, area_code="A", expires=timezone.now() - timedelta(minutes=1))
    overtaken = change(saint_paul, Level.ORANGE, area_code="B")
    change(saint_paul, Level.YELLOW, previous_level=Level.ORANGE, area_code="B")  # it went back down
    still = change(saint_paul, Level.RED, area_code="C")
    other_source = change(saint_paul, Level.ORANGE, area_code="B", source=VigilanceSource.METEO_FRANCE)
    opened = set(open_vigilance(saint_paul.commune))
    assert opened == {still, other_source}
    assert expired not in opened and overtaken not in opened


def test_a_failing_prompt_is_logged_never_raised_to_the_reading(saint_paul: Town, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    def broken(change: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(prompts, "vigilance_prompt", broken)
    with caplog.at_level(logging.ERROR, logger="risks.prompts"):
        vigilance_rose.send(sender=None, change=change(saint_paul, Level.RED))
    assert "prompting the mayors failed" in caplog.text

