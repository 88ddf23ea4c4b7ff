"""The service functions against the hand-counted scenario (see scenario.py)."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Alert
from conftest import Town
from notifications.models import Delivery, Message
from stats import aggregates
from stats.periods import DateRange, Granularity, default_range
from stats.services import commune_statistics
from stats.tests.scenario import alert, build, utc

WINTER = DateRange(date(2025, 11, 1), date(2026, 2, 28))


@pytest.fixture
def scenario(saint_paul: Town, charleville: Town) -> Town:
    build(saint_paul, charleville)
    saint_paul.commune.refresh_from_db()
    return saint_paul


def test_it_counts_approved_reports_by_paris_month_with_empty_months(scenario: Town) -> None:
    stats = commune_statistics(scenario.commune, WINTER, Granularity.MONTH)
    assert [(p["period"], p["total"], p["burglaries"]) for p in stats["series"]] == [
        ("2025-11", 3, 2), ("2025-12", 0, 0), ("2026-01", 1, 0), ("2026-02", 1, 1),
    ]  # fmt: skip
    assert stats["series"][0]["by_category"]["cambriolage"] == 2
    assert stats["series"][2]["by_category"]["vehicule_suspect"] == 1  # 23:30 Paris on 31 January
    assert stats["series"][3]["by_category"]["tentative_cambriolage"] == 1  # 23:30 UTC = 00:30 on 1 February
    assert stats["totals"]["total"] == 5 and stats["totals"]["burglaries"] == 3
    assert stats["totals"]["by_category"]["vol"] == 1


def test_it_cuts_iso_weeks_at_monday_midnight_paris(saint_paul: Town) -> None:
    alert(saint_paul.commune, "vol", utc(2026, 2, 1, 22, 30))  # Sunday 23:30 Paris: week 5
    alert(saint_paul.commune, "vol", utc(2026, 2, 1, 23, 30))  # Monday 00:30 Paris: week 6
    stats = commune_statistics(saint_paul.commune, DateRange(date(2026, 1, 26), date(2026, 2, 15)), Granularity.WEEK)
    assert [(p["period"], p["start"], p["total"]) for p in stats["series"]] == [
        ("2026-W05", "2026-01-26", 1), ("2026-W06", "2026-02-02", 1), ("2026-W07", "2026-02-09", 0),
    ]  # fmt: skip


def test_it_gives_rates_per_thousand_inhabitants_and_dwellings(scenario: Town) -> None:
    rates = commune_statistics(scenario.commune, WINTER, Granularity.MONTH)["rates"]
    assert rates["burglaries"] == 3 and rates["population"] == 3500
    assert rates["per_1000_inhabitants"] == 0.857  # 3 / 3,500 × 1,000
    assert rates["dwellings"] == 1500.0 and rates["dwellings_year"] == 2025
    assert rates["per_1000_dwellings"] == 2.0  # 3 / 1,500 × 1,000


def test_it_compares_with_the_same_days_a_year_before(scenario: Town) -> None:
    before = commune_statistics(scenario.commune, WINTER, Granularity.MONTH)["year_before"]
    assert before == {"from": "2024-11-01", "to": "2025-02-28", "total": 2, "burglaries": 1}


def test_it_compares_official_burglaries_before_and_after_enrolment(scenario: Town) -> None:
    enrolment = commune_statistics(scenario.commune, WINTER, Granularity.MONTH)["enrolment"]
    assert enrolment["year"] == 2024 and enrolment["official_level"] == "commune"
    # 2020 is the département's figure: never averaged with the commune's own.
    assert enrolment["official_before"] == {"years": [2021, 2022, 2023], "withheld_years": [2023], "mean_count": 12.0}
    assert enrolment["official_after"] == {"years": [2025], "withheld_years": [], "mean_count": 8.0}
    assert enrolment["ours_by_year"] == [
        {"year": 2024, "total": 1, "burglaries": 1}, {"year": 2025, "total": 4, "burglaries": 2},
        {"year": 2026, "total": 2, "burglaries": 1},
    ]  # fmt: skip


def test_it_lists_official_years_with_level_and_withheld_flag(scenario: Town) -> None:
    official = commune_statistics(scenario.commune, WINTER, Granularity.MONTH)["official"]
    assert [(y["year"], y["level"], y["count"], y["withheld"]) for y in official] == [
        (2020, "departement", 30000, False), (2021, "commune", 10, False), (2022, "commune", 14, False),
        (2023, "commune", None, True), (2025, "commune", 8, False),
    ]  # fmt: skip
    assert official[3]["complement_count"] == 2.5


def test_it_handles_a_commune_without_official_figures(scenario: Town, charleville: Town) -> None:
    stats = commune_statistics(charleville.commune, WINTER, Granularity.MONTH)
    assert stats["official"] == [] and stats["rates"]["per_1000_dwellings"] is None
    assert stats["totals"]["burglaries"] == 1 and stats["rates"]["per_1000_inhabitants"] == 1.0
    assert stats["enrolment"]["official_before"]["mean_count"] is None


def test_it_measures_moderation_on_creation_time(saint_paul: Town) -> None:
    created = utc(2026, 3, 2, 8)
    for minutes, status in [(10, "approved"), (20, "approved"), (60, "approved"), (5, "rejected")]:
        pk = alert(saint_paul.commune, "vol", created, status=status).pk
        Alert.objects.filter(pk=pk).update(created_at=created, moderated_at=created + timedelta(minutes=minutes))
    Alert.objects.filter(pk=alert(saint_paul.commune, "vol", created, status="pending").pk).update(created_at=created)
    alert(saint_paul.commune, "vol", created)  # created today, outside March 2026: not counted
    figures = aggregates.moderation_figures(saint_paul.commune, DateRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert figures == {"approved": 3, "rejected": 1, "pending": 1, "rejected_share": 0.25,
                       "median_minutes_to_approve": 20.0}  # fmt: skip


def test_it_reports_the_share_of_members_reached_by_channel(saint_paul: Town) -> None:
    sent = alert(saint_paul.commune, "vol", utc(2026, 3, 2, 8))
    message = Message.objects.create(commune=saint_paul.commune, kind="alert", title="Vol", body="Vol",
                                     source_type="alert", source_id=sent.pk, channels=["push", "sms"])  # fmt: skip
    rows = [(saint_paul.mayor, "push", "sent"), (saint_paul.referent, "push", "failed"),
            (saint_paul.referent, "sms", "delivered"), (saint_paul.resident, "push", "pending")]  # fmt: skip
    for user, channel, status in rows:
        Delivery.objects.create(message=message, user=user, channel=channel, status=status)
    figures = aggregates.delivery_figures(saint_paul.commune, DateRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert figures["alerts_sent"] == 1 and figures["members"] == 4  # the applicant is not a member yet
    assert figures["recipients"] == 3 and figures["members_reached"] == 2 and figures["share_of_members"] == 0.5
    by_channel = figures["by_channel"]
    assert isinstance(by_channel, dict)
    assert by_channel["push"] == {"deliveries": 3, "reached": 1, "delivered": 0, "failed": 1, "unknown": 0,
                                             "pending": 1, "share_of_members": 0.25}  # fmt: skip
    assert by_channel["sms"]["delivered"] == 1 and by_channel["sms"]["share_of_members"] == 0.25
    assert by_channel["voice"] == {"deliveries": 0, "reached": 0, "delivered": 0, "failed": 0, "unknown": 0,
                                   "pending": 0, "share_of_members": 0.0, "calls": 0, "answered": 0,
                                   "confirmed": 0, "minutes": 0}  # fmt: skip


def test_it_counts_the_calls_their_minutes_and_confirmations(saint_paul: Town) -> None:
    sent = alert(saint_paul.commune, "cambriolage", utc(2026, 3, 2, 8))
    message = Message.objects.create(commune=saint_paul.commune, kind="alert", title="Cambriolage", body="Porte",
                                     source_type="alert", source_id=sent.pk, channels=["push", "voice"])  # fmt: skip
    now = timezone.now()
    # Answered and confirmed (61 s: two started minutes), answered without pressing 1 (42 s), busy after its
    # retries (never connected: no minute), still ringing (placed, not final), and one push.
    calls = [(saint_paul.mayor, "delivered", "CA1", 61, now), (saint_paul.referent, "delivered", "CA2", 42, None),
             (saint_paul.resident, "failed", "CA3", 0, None), (saint_paul.resident2, "sent", "CA4", None, None)]
    for user, status, sid, seconds, confirmed in calls:
        Delivery.objects.create(message=message, user=user, channel="voice", status=status, provider_id=sid,
                                call_seconds=seconds, confirmed_at=confirmed,
                                error_code="busy" if status == "failed" else "")  # fmt: skip
    Delivery.objects.create(message=message, user=saint_paul.resident, channel="push", status="sent")
    figures = aggregates.delivery_figures(saint_paul.commune, DateRange(date(2026, 3, 1), date(2026, 3, 31)))
    voice = figures["by_channel"]["voice"]  # type: ignore[index]
    assert voice == {"deliveries": 4, "reached": 3, "delivered": 2, "failed": 1, "unknown": 0, "pending": 0,
                     "share_of_members": 0.75, "calls": 4, "answered": 2, "confirmed": 1, "minutes": 3}  # fmt: skip
    assert "calls" not in figures["by_channel"]["push"]  # type: ignore[index]


def test_it_defaults_to_the_last_twelve_months() -> None:
    assert default_range(date(2026, 2, 14)) == DateRange(date(2025, 3, 1), date(2026, 2, 14))
    assert default_range(date(2025, 12, 31)) == DateRange(date(2025, 1, 1), date(2025, 12, 31))


def test_it_shifts_29_february_to_the_28th() -> None:
    assert DateRange(date(2024, 2, 29), date(2024, 3, 1)).year_before() == DateRange(date(2023, 2, 28), date(2023, 3, 1))


def test_messages_whose_deliveries_were_purged_do_not_lower_the_share(saint_paul: Town, settings: Any) -> None:
    old, recent = (alert(saint_paul.commune, "vol", utc(2026, 3, day, 8)) for day in (2, 3))
    for sent in (old, recent):
        message = Message.objects.create(commune=saint_paul.commune, kind="alert", title="Vol", body="Vol",
                                         source_type="alert", source_id=sent.pk, channels=["push"])  # fmt: skip
        Delivery.objects.create(message=message, user=saint_paul.mayor, channel="push", status="sent")
    # The first message is past the retention period: the daily purge deletes its deliveries.
    purged = Message.objects.get(source_id=old.pk)
    long_ago = timezone.now() - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS + 1)
    Message.objects.filter(pk=purged.pk).update(created_at=long_ago)
    Delivery.objects.filter(message=purged).delete()
    figures = aggregates.delivery_figures(saint_paul.commune, DateRange(date(2026, 3, 1), date(2026, 3, 31)))
    assert figures["alerts_sent"] == 2 and figures["alerts_with_deliveries_kept"] == 1
    assert figures["members_reached"] == 1 and figures["share_of_members"] == 0.25  # 1 of 4 members, once
