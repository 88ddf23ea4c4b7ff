"""« À traiter »: overdue reports, failed deliveries, a delayed sending, the counts, for the commune's moderators."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Alert, AlertKind, AlertStatus, CommunePolicy
from conftest import Town
from desk.tests.conftest import MODERATORS_PAGE, People, expect_statuses
from desk.tests.test_moderation import CHARLEVILLE_PAGE, approved, ids, page, report
from notifications import health
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind, MessageStatus
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/desk/communes/06128/"
BANNER = "L’envoi des alertes est retardé"


def sent(alert: Alert, days_ago: int = 0, kind: str = MessageKind.ALERT) -> Message:
    message = Message.objects.create(commune=alert.commune, kind=kind, title="Alerte", body=alert.description,
                                     channels=["push", "sms"], source_type="alert", source_id=alert.pk,
                                     status=MessageStatus.PLANNED)  # fmt: skip
    if days_ago:
        Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return message


def deliveries(message: Message, town: Town, *channel_status: tuple[str, str]) -> None:
    """One delivery per (channel, status), each to a member of its own (a member gets one per channel)."""
    for channel, status in channel_status:
        member = MembershipFactory.create(commune=town.commune, user=UserFactory.create()).user
        Delivery.objects.create(message=message, user=member, channel=channel, status=status, finished_at=timezone.now())


def row_of(html: str, testid: str, pk: int) -> str:
    return html[html.index(f'data-testid="{testid}" data-report="{pk}"') :].split("</tr>")[0]


def test_the_inbox_answers_each_persona_in_each_commune(people: People) -> None:
    expect_statuses(people, "get", INBOX, MODERATORS_PAGE)
    expect_statuses(people, "get", "/desk/communes/08105/", CHARLEVILLE_PAGE)
    expect_statuses(people, "post", INBOX, {**MODERATORS_PAGE, "referent": 405, "mayor": 405, "staff": 405})


def test_the_inbox_is_the_desks_first_page_in_its_menu(people: People) -> None:
    html = page(people.client("referent").get(INBOX))
    assert f'<a href="{INBOX}" aria-current="page">' in html
    assert people.client("mayor").get("/desk/")["Location"] == INBOX


def test_it_lists_the_reports_waiting_longer_than_the_communes_delay(people: People) -> None:
    town = people.saint_paul
    CommunePolicy.objects.create(commune=town.commune, escalation_minutes=15)
    late = report(town, minutes_ago=20)
    reminded = report(town, minutes_ago=90, escalated_at=timezone.now())
    recent = report(town, minutes_ago=5)
    report(people.charleville, minutes_ago=300)
    html = page(people.client("mayor").get(INBOX))
    assert ids(html, "overdue-row") == [reminded.pk, late.pk]
    assert recent.pk not in ids(html, "overdue-row")
    assert f'href="/desk/communes/06128/reports/{late.pk}/"' in html
    assert "délai de 15\xa0minutes" in html  # timesince joins with a no-break space
    assert '<p class="dashboard-figure__value" data-testid="overdue-count">2</p>' in html
    assert '<p class="dashboard-figure__value" data-testid="pending-count">3</p>' in html


def test_it_counts_the_membership_requests(people: People) -> None:
    # Each town has one applicant waiting (conftest); a second one here, and one in Charleville not counted.
    MembershipFactory.create(commune=people.saint_paul.commune, user=UserFactory.create(), status="pending")
    html = page(people.client("referent").get(INBOX))
    assert '<p class="dashboard-figure__value" data-testid="membership-requests">2</p>' in html
    assert '<a href="/desk/communes/06128/members/">demandes d’adhésion à examiner</a>' in html


def test_it_counts_the_failed_deliveries_of_the_last_7_days_per_alert(people: People) -> None:
    town = people.saint_paul
    alert = approved(town)
    deliveries(sent(alert), town, ("sms", DeliveryStatus.FAILED), ("sms", DeliveryStatus.FAILED),
               ("push", DeliveryStatus.FAILED), ("push", DeliveryStatus.DELIVERED))  # fmt: skip
    deliveries(sent(alert, kind=MessageKind.FOLLOWUP), town, ("push", DeliveryStatus.FAILED))
    old = approved(town)
    deliveries(sent(old, days_ago=8), town, ("sms", DeliveryStatus.FAILED))
    fine = approved(town)
    deliveries(sent(fine), town, ("sms", DeliveryStatus.SENT))
    elsewhere = approved(people.charleville)
    deliveries(sent(elsewhere), people.charleville, ("sms", DeliveryStatus.FAILED))
    html = page(people.client("mayor").get(INBOX))
    assert ids(html, "failed-row") == [alert.pk]
    row = row_of(html, "failed-row", alert.pk)
    assert f'href="/desk/communes/06128/reports/{alert.pk}/#envois"' in row
    assert "<td>2</td>\n      <td>2</td>\n      <td>4</td>" in row  # SMS, notifications, total


def test_a_broadcasts_failures_are_listed_without_a_report_link(people: People) -> None:
    town = people.saint_paul
    broadcast = approved(town, kind=AlertKind.BROADCAST, title="Coupure d’eau demain")
    deliveries(sent(broadcast, kind=MessageKind.BROADCAST), town, ("sms", DeliveryStatus.FAILED))
    row = row_of(page(people.client("mayor").get(INBOX)), "failed-row", broadcast.pk)
    assert "Coupure d’eau demain" in row and "/reports/" not in row


def test_nothing_to_do_says_so(people: People) -> None:
    report(people.saint_paul, status=AlertStatus.REJECTED, rejection_reason="Doublon")
    html = page(people.client("mayor").get(INBOX))
    assert 'data-testid="overdue-empty"' in html and 'data-testid="failed-empty"' in html
    assert BANNER not in html


def test_a_banner_says_when_the_broker_is_down(people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "broker_answers", lambda: False)
    html = page(people.client("referent").get(INBOX))
    assert BANNER in html and "le service d&#x27;envoi ne répond pas" in html


def test_a_banner_says_when_a_provider_refused_for_now(people: People) -> None:
    town = people.saint_paul
    message = sent(approved(town))
    Delivery.objects.create(message=message, user=town.resident, channel="sms", attempts=1, error_code="20429",
                            not_before=timezone.now() + timedelta(seconds=30))  # fmt: skip
    html = page(people.client("mayor").get(INBOX))
    assert BANNER in html and "retentés automatiquement" in html
    assert BANNER not in page(people.client("other_mayor").get("/desk/communes/08105/"))


def test_the_inbox_never_shows_a_phone(people: People) -> None:
    town = people.saint_paul
    report(town, minutes_ago=120)
    html = page(people.client("mayor").get(INBOX))
    for user in (town.resident, town.applicant):
        assert str(user.phone) not in html and user.phone.as_national not in html
