"""`manage.py seed_demo`: a year of history for Saint-Paul-de-Vence that every page and figure can show, built
once, keeping the service's own rules; the logins it prints; the official figures it loads."""

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from alerts.duplicates import RADIUS_M, WINDOW
from alerts.geo import distance_m
from alerts.models import Alert, AlertKind, AlertStatus, Confirmation, FollowUp, FollowUpKind
from alerts.sensitive import find_sensitive
from audit.models import AuditEntry
from communes.models import Commune, Membership, MembershipStatus, Role, TerritoryOperator
from conftest import client_for
from demo import people, texts
from demo.reports import Story, distinct_events
from demo.timeline import PARIS
from notifications.models import Channel, Delivery, DeliveryStatus, Message, MessageKind, MessageSource
from stats.models import GeographyLevel, OfficialFigure
from stats.periods import Granularity, default_range, periods
from vigilants.categories import BURGLARY_CATEGORIES, Category

from .conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_day")]
Seed = Callable[[], str]
STATS = "/api/v1/stats/communes/06128"
ESCALATION = timedelta(minutes=30)  # CommunePolicy's default


def month(moment: datetime) -> date:
    return moment.astimezone(PARIS).date().replace(day=1)


def published_reports() -> list[Alert]:
    return list(Alert.objects.filter(kind=AlertKind.REPORT, status=AlertStatus.APPROVED))


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_it_writes_a_year_of_reports_in_every_month_and_category(seed: Seed) -> None:
    seed()
    reports = Alert.objects.filter(kind=AlertKind.REPORT)
    assert 150 <= reports.count() <= 250
    by_month = Counter(month(alert.occurred_at) for alert in published_reports())
    last_twelve = list(periods(default_range(), Granularity.MONTH))
    assert len(last_twelve) == 12
    assert all(by_month[first] >= 5 for first in last_twelve), by_month
    assert set(Counter(alert.category for alert in published_reports())) == set(Category.values)


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_the_seasons_are_those_of_the_riviera(seed: Seed) -> None:
    seed()
    winter, summer = {12, 1, 2}, {6, 7, 8}

    def count(categories: tuple[str, ...], months: set[int]) -> int:
        return sum(1 for a in published_reports() if a.category in categories and a.occurred_at.astimezone(PARIS).month in months)

    assert count(BURGLARY_CATEGORIES, winter) > 1.5 * count(BURGLARY_CATEGORIES, summer)
    assert count((Category.VEHICULE_SUSPECT,), summer) > 1.5 * count((Category.VEHICULE_SUSPECT,), winter)
    assert count((Category.INCENDIE,), summer) > count((Category.INCENDIE,), winter)
    winter_burglaries = [a for a in published_reports() if a.category == Category.CAMBRIOLAGE
                         and a.occurred_at.astimezone(PARIS).month in winter]  # fmt: skip
    evenings = [a for a in winter_burglaries if 17 <= a.occurred_at.astimezone(PARIS).hour < 21]
    assert len(evenings) > len(winter_burglaries) / 2


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_moderation_follow_ups_and_broadcasts_are_all_there(seed: Seed) -> None:
    seed()
    reports = Alert.objects.filter(kind=AlertKind.REPORT)
    rejected = reports.filter(status=AlertStatus.REJECTED)
    assert rejected.count() >= 5 and not rejected.filter(rejection_reason="").exists()
    pending = reports.filter(status=AlertStatus.PENDING)
    overdue = pending.filter(created_at__lt=timezone.now() - timedelta(minutes=30))
    assert overdue.count() >= 2 and not overdue.filter(escalated_at=None).exists()
    assert pending.filter(escalated_at=None).exists()  # one just in, not escalated yet
    closed = reports.filter(closed_at__isnull=False)
    assert closed.count() >= 20
    ends = FollowUp.objects.filter(kind=FollowUpKind.END)
    assert sorted(ends.values_list("alert_id", "created_at")) == sorted(closed.values_list("id", "closed_at"))
    confirmed = reports.filter(confirmations_count__gt=0)
    assert confirmed.count() >= 10
    assert all(a.confirmations_count == a.confirmations.count() for a in confirmed)
    broadcasts = Alert.objects.filter(kind=AlertKind.BROADCAST)
    assert 8 <= broadcasts.count() <= 12
    assert set(broadcasts.values_list("reporter__phone", flat=True)) == {people.MAYOR.phone}


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_members_requests_and_quartiers(seed: Seed) -> None:
    seed()
    approved = Membership.objects.filter(status=MembershipStatus.APPROVED)
    assert 55 <= approved.count() <= 65
    assert approved.values("neighbourhood").distinct().count() >= 3
    assert Membership.objects.filter(status=MembershipStatus.PENDING).count() >= 3
    assert approved.filter(role=Role.REFERENT).count() >= 3
    logins = Membership.objects.filter(user__phone__in=[p.phone for p in people.MEMBERS])
    assert logins.filter(status=MembershipStatus.APPROVED).count() == 4
    assert User.objects.get(phone=people.GENDARME.phone).gendarme_area.departement == "06"


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_published_alerts_were_sent_and_mostly_delivered(seed: Seed) -> None:
    seed()
    deliveries = Delivery.objects.all()
    by_outcome = Counter(deliveries.values_list("channel", "status"))
    assert by_outcome[Channel.PUSH, DeliveryStatus.SENT] > 1000
    assert by_outcome[Channel.SMS, DeliveryStatus.DELIVERED] > 100
    assert by_outcome[Channel.SMS, DeliveryStatus.FAILED] > 0
    failed = sum(n for (_, status), n in by_outcome.items() if status == DeliveryStatus.FAILED)
    assert failed < 0.1 * deliveries.count()
    for alert in published_reports():
        assert Message.objects.filter(source_type=MessageSource.ALERT, source_id=alert.pk, kind=MessageKind.ALERT).count() == 1


def joined() -> dict[int, datetime]:
    """When each member was accepted."""
    return {user: at for user, at in Membership.objects.values_list("user_id", "decided_at") if at is not None}


def check_report(alert: Alert, commune: Commune, since: dict[int, datetime], now: datetime) -> None:
    """The order of a report's dates, where it is, who made it (alerts/services.py, alerts/tasks.py)."""
    assert commune.enrolled_at is not None and alert.reporter_id is not None
    assert commune.enrolled_at < alert.occurred_at <= alert.created_at <= now
    assert alert.created_at - alert.occurred_at <= timedelta(days=7)  # older facts go to the gendarmerie
    assert since[alert.reporter_id] < alert.created_at  # a member when they reported
    if alert.latitude is not None and alert.longitude is not None:
        assert commune.contains(alert.latitude, alert.longitude)
    if alert.status != AlertStatus.PENDING:
        assert alert.moderated_by_id is not None and alert.moderated_at is not None
        assert alert.created_at < alert.moderated_at <= now
    if alert.escalated_at is not None:
        assert alert.escalated_at >= alert.created_at + ESCALATION
        assert alert.moderated_at is None or alert.escalated_at < alert.moderated_at
        assert Message.objects.filter(kind=MessageKind.REMINDER, source_id=alert.pk).exists()
    elif alert.status == AlertStatus.PENDING:
        assert alert.created_at > now - ESCALATION - timedelta(minutes=2)  # beat looks each minute


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_dates_places_and_people_keep_the_services_rules(seed: Seed) -> None:
    seed()
    commune, now, since = Commune.objects.get(insee="06128"), timezone.now(), joined()
    assert commune.enrolled
    for alert in Alert.objects.filter(kind=AlertKind.REPORT):
        check_report(alert, commune, since, now)
    for followup in FollowUp.objects.select_related("alert"):
        moderated = followup.alert.moderated_at
        assert moderated is not None and followup.created_at > moderated
    for confirmation in Confirmation.objects.select_related("alert"):
        assert confirmation.reporter_id != confirmation.alert.reporter_id
        assert confirmation.alert.created_at < confirmation.created_at < (confirmation.alert.closed_at or now)


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_deliveries_go_to_members_of_the_day_within_the_retention(seed: Seed) -> None:
    seed()
    oldest_kept = timezone.now() - timedelta(days=90)
    since = joined()
    deliveries = Delivery.objects.select_related("message")
    assert not deliveries.filter(message__created_at__lt=oldest_kept).exists()  # the daily purge's rule
    assert Message.objects.filter(created_at__lt=oldest_kept).exists()  # messages are kept
    for delivery in deliveries:
        message = delivery.message
        assert since[delivery.user_id] <= message.created_at <= delivery.created_at
        assert delivery.user_id != message.exclude_user_id  # the reporter is not told what they reported
    mayors = set(Membership.objects.filter(role=Role.MAYOR).values_list("user_id", flat=True))
    assert set(deliveries.filter(message__kind=MessageKind.REMINDER).values_list("user_id", flat=True)) <= mayors
    assert AuditEntry.objects.filter(action="alert.approved").count() == len(published_reports())


@pytest.mark.usefixtures("no_shared_data", "shared_cache")
def test_the_statistics_show_the_year_and_are_not_left_stale(seed: Seed, saint_paul_de_vence: Commune) -> None:
    saint_paul_de_vence.enrolled, saint_paul_de_vence.enrolled_at = True, NOW - timedelta(days=800)
    saint_paul_de_vence.save()
    neighbourhoods = people.ensure_neighbourhoods(saint_paul_de_vence)
    mayor = people.ensure_logins(saint_paul_de_vence, neighbourhoods)[people.MAYOR.phone]
    client = client_for(mayor)
    assert client.get(STATS).json()["totals"]["total"] == 0  # now cached
    seed()
    figures = client.get(STATS).json()
    assert all(item["total"] > 0 for item in figures["series"]), figures["series"]
    assert figures["totals"]["burglaries"] > 0
    moderation = figures["moderation"]
    assert moderation["approved"] > 0 and moderation["rejected"] > 0 and moderation["pending"] > 0
    assert 2 < moderation["median_minutes_to_approve"] < 120
    deliveries = figures["deliveries"]
    assert deliveries["alerts_sent"] > 0 and deliveries["members"] >= 55
    assert deliveries["by_channel"]["push"]["reached"] > 0 and deliveries["by_channel"]["sms"]["delivered"] > 0


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_a_second_run_adds_nothing(seed: Seed) -> None:
    seed()
    before = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    output = seed()
    after = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    assert after == before
    assert "rien n'est ajouté" in output


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_the_output_names_the_six_logins_and_where_to_go(seed: Seed) -> None:
    output = seed()
    for login in (people.MAYOR, people.REFERENT, people.RESIDENT, people.GENDARME, people.OPERATOR, people.STAFF):
        assert login.phone in output
        assert User.objects.filter(phone=login.phone).exists()
    for where in ("/dashboard/", "/desk/", "/api/v1/docs/", "/dashboard/login/password/", people.STAFF_PASSWORD):
        assert where in output
    assert "code" in output and "console" in output
    assert "signalements sur 12 mois" in output
    assert "/desk/territories/epci/240600585/" in output
    assert TerritoryOperator.objects.filter(user__phone=people.OPERATOR.phone, kind="epci", code="240600585").exists()


def test_it_refuses_to_run_without_debug(settings: Any, saint_paul_de_vence: Commune) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists() and not Alert.objects.exists()


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_without_the_shared_data_it_says_so_and_loads_nothing(seed: Seed) -> None:
    output = seed()
    assert "aucun fichier" in output
    assert not OfficialFigure.objects.exists()


@pytest.mark.usefixtures("saint_paul_de_vence")
def test_it_loads_the_shipped_official_figures_once(seed: Seed, shipped_ssmsi: Path) -> None:
    output = seed()
    files = sorted(path.name for path in shipped_ssmsi.glob("*.csv*"))
    assert sorted(set(OfficialFigure.objects.values_list("source", flat=True))) == files
    loaded = dict(OfficialFigure.objects.order_by().values_list("source").annotate(n=Count("id")))
    assert all(f"{loaded[name]} lignes importées" in output for name in files)
    alpes_maritimes = OfficialFigure.objects.get(level=GeographyLevel.DEPARTEMENT, code="06", year=2016,
                                                 indicator_slug="cambriolages_de_logement")  # fmt: skip
    assert alpes_maritimes.count == 6046
    imported_at = set(OfficialFigure.objects.values_list("imported_at", flat=True))
    again = seed()
    assert all(f"{name} déjà chargé" in again for name in files)
    assert set(OfficialFigure.objects.values_list("imported_at", flat=True)) == imported_at
    mayor = User.objects.get(phone=people.MAYOR.phone)
    official = client_for(mayor).get(STATS).json()["official"]
    assert official and {year["level"] for year in official} == {"departement"}


@pytest.mark.django_db(False)
def test_what_the_demos_people_wrote_would_pass_moderation() -> None:
    """Behaviour, not appearance (alerts/sensitive.py), within the fields' limits."""
    reports = [text for texts_of_category in texts.REPORTS.values() for text in texts_of_category]
    ends = [text for texts_of_category in texts.END_BODIES.values() for text in texts_of_category]
    broadcasts = [text for _, title, body, *_ in texts.BROADCASTS for text in (title, body)]
    written = reports + ends + broadcasts + texts.CONFIRMATIONS + texts.ERRATA + texts.REJECTION_REASONS
    assert [text for text in written if find_sensitive(text)] == []
    assert set(texts.REPORTS) == set(Category.values) == set(texts.END_BODIES)
    assert all(5 <= len(text) <= 500 for text in written)
    assert all(len(title) <= 120 for _, title, *_ in texts.BROADCASTS)


@pytest.mark.usefixtures("saint_paul_de_vence", "no_shared_data")
def test_no_report_is_one_the_service_would_have_taken_for_a_confirmation(seed: Seed) -> None:
    seed()
    placed = list(Alert.objects.filter(kind=AlertKind.REPORT, latitude__isnull=False, longitude__isnull=False))

    def near(a: Alert, b: Alert) -> bool:  # alerts/duplicates.py's rule for two placed reports
        assert a.latitude is not None and a.longitude is not None and b.latitude is not None and b.longitude is not None
        return (a.category == b.category and abs(a.occurred_at - b.occurred_at) <= WINDOW
                and distance_m(a.latitude, a.longitude, b.latitude, b.longitude) <= RADIUS_M)  # fmt: skip

    assert [(a.pk, b.pk) for i, b in enumerate(placed) for a in placed[:i] if near(a, b)] == []


@pytest.mark.django_db(False)
def test_a_planned_report_that_repeats_an_earlier_one_is_left_out() -> None:
    def story(category: str, minutes: float, metres_north: float) -> Story:
        occurred = NOW + timedelta(minutes=minutes)
        alert = Alert(category=category, occurred_at=occurred, created_at=occurred + timedelta(minutes=5),
                      latitude=43.69 + metres_north / 111_320, longitude=7.12, neighbourhood_id=1)  # fmt: skip
        return Story(alert=alert)

    first = story(Category.VEHICULE_SUSPECT, 0, 0)
    again = story(Category.VEHICULE_SUSPECT, 10, 100)  # what the service would take for a "moi aussi"
    farther = story(Category.VEHICULE_SUSPECT, 12, 400)
    later = story(Category.VEHICULE_SUSPECT, 45, 0)
    other = story(Category.VOL, 5, 0)
    assert distinct_events([first, again, farther, later, other]) == [first, farther, later, other]
