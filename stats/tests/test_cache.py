"""The statistics' cache (stats/cache.py): a repeated request is answered from it, and whatever changes the
figures shows on the very next request: each test reads the figures once (filling the cache), changes one
thing, and reads them again."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import signin_cache
from accounts.models import User
from accounts.rgpd import erase_user
from alerts.models import Alert, AlertStatus, FollowUpKind
from alerts.services import alert_approve, alert_create, alert_reject, followup_create
from alerts.tasks import anonymise_old_reports
from communes.answers import data_changed
from communes.models import Commune, Membership
from communes.services import membership_approve, membership_leave
from conftest import Town, client_for
from notifications.models import Delivery, Message, MessageStatus
from notifications.sweeper import purge_old_deliveries
from stats import cache
from stats.periods import today
from stats.ssmsi import import_ssmsi
from stats.tests.scenario import build, official
from tests.factories import UserFactory

from .conftest import CURRENT_COMMUNE_HEADER

URL = "/api/v1/stats/communes/06128"


@pytest.fixture(autouse=True)
def _shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without REDIS_URL the cache is one process's memory, which stands in for Redis within one test."""
    if not cache._shared():
        monkeypatch.setattr(cache, "_shared", lambda: True)


@pytest.fixture
def town(saint_paul: Town, charleville: Town) -> Town:
    build(saint_paul, charleville)
    return saint_paul


def figures(user: User, **params: str) -> dict[str, Any]:
    """January 2026 to today: the scenario's January and February alerts, and every report filed by a test."""
    response = client_for(user).get(URL, {"from": "2026-01-01", "to": today().isoformat(), **params})
    assert response.status_code == 200, response.content
    return response.json()


def pending(town: Town) -> Alert:
    return Alert.objects.get(commune=town.commune, status=AlertStatus.PENDING)


def test_a_repeated_request_is_answered_without_reading_the_alerts(town: Town) -> None:
    first = figures(town.mayor)
    with CaptureQueriesContext(connection) as queries:
        again = figures(town.mayor)
    assert again == first
    assert not [query["sql"] for query in queries if "alerts_alert" in query["sql"]]


def test_a_mayor_s_repeated_request_costs_the_token_and_the_commune(town: Town) -> None:
    client = client_for(town.mayor)
    url = {"from": "2026-01-01", "to": today().isoformat()}
    assert client.get(URL, url).status_code == 200  # kept, and the token marked used
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, url).status_code == 200
    # The mayor's right came with the token (communes.access.moderated_by_insee): no statement of its own. On
    # Redis, the token kept there (accounts/signin_cache.py) and the commune in the process while the communes'
    # version, read with the token, is unchanged (communes/kept.py): nothing asked of PostgreSQL.
    assert len(queries) == (0 if signin_cache.in_use() else 2), [query["sql"] for query in queries]



def test_each_range_and_granularity_has_its_own_answer(town: Town) -> None:
    assert len(figures(town.mayor)["series"]) > 4
    weeks = figures(town.mayor, to="2026-01-31", granularity="week")
    assert weeks["granularity"] == "week" and weeks["to"] == "2026-01-31" and len(weeks["series"]) == 5


def test_an_approval_shows_at_once(town: Town) -> None:
    before = figures(town.mayor)
    alert_approve(alert=pending(town), actor=town.mayor)
    after = figures(town.mayor)
    assert after["totals"]["total"] == before["totals"]["total"] + 1
    assert after["totals"]["burglaries"] == before["totals"]["burglaries"] + 1
    assert after["moderation"]["pending"] == before["moderation"]["pending"] - 1 == 0
    assert after["deliveries"]["alerts_sent"] == before["deliveries"]["alerts_sent"] + 1


def test_a_rejection_shows_at_once(town: Town) -> None:
    before = figures(town.mayor)
    alert_reject(alert=pending(town), actor=town.mayor, reason="Doublon")
    after = figures(town.mayor)
    assert after["moderation"]["rejected"] == before["moderation"]["rejected"] + 1
    assert after["moderation"]["pending"] == 0 and after["totals"] == before["totals"]


def test_a_new_report_shows_in_the_moderation_figures_at_once(town: Town) -> None:
    before = figures(town.mayor)
    alert_create(reporter=town.resident, commune=town.commune, category="vol", description="Vol de vélo")
    assert figures(town.mayor)["moderation"]["pending"] == before["moderation"]["pending"] + 1


@pytest.mark.parametrize("kind", [FollowUpKind.END, FollowUpKind.ERRATUM])
def test_closing_or_correcting_an_alert_shows_at_once(town: Town, kind: FollowUpKind) -> None:
    alert = alert_approve(alert=pending(town), actor=town.mayor)
    before = figures(town.mayor)
    followup_create(alert=alert, actor=town.mayor, kind=kind, body="Fin de l'intervention")
    assert figures(town.mayor)["deliveries"]["alerts_sent"] == before["deliveries"]["alerts_sent"] + 1


def test_a_change_in_the_alerts_admin_shows_at_once(town: Town) -> None:
    before = figures(town.mayor)
    alert = pending(town)
    alert.status = AlertStatus.APPROVED
    alert.save()  # what the admin's form does
    assert figures(town.mayor)["totals"]["total"] == before["totals"]["total"] + 1


def test_a_membership_approved_or_left_shows_at_once(town: Town) -> None:
    before = figures(town.mayor)["deliveries"]["members"]
    applicant = Membership.objects.get(user=town.applicant, commune=town.commune)
    membership_approve(membership=applicant, actor=town.mayor)
    assert figures(town.mayor)["deliveries"]["members"] == before + 1
    membership_leave(membership=Membership.objects.get(user=town.resident, commune=town.commune), actor=town.resident)
    assert figures(town.mayor)["deliveries"]["members"] == before


def test_an_erasure_shows_at_once(town: Town) -> None:
    before = figures(town.mayor)["deliveries"]["members"]
    erase_user(town.resident)
    assert figures(town.mayor)["deliveries"]["members"] == before - 1


def test_erasing_a_former_member_forgets_the_deliveries_they_had(town: Town) -> None:
    former = UserFactory.create()
    message = _message_for(alert_approve(alert=pending(town), actor=town.mayor))
    Delivery.objects.create(message=message, user=former, channel="push", status="sent")
    before = figures(town.mayor)["deliveries"]
    erase_user(former)  # not a member any more: only their deliveries go with the account
    after = figures(town.mayor)["deliveries"]
    assert after["recipients"] == before["recipients"] - 1 and after["members_reached"] == before["members_reached"] - 1


def test_the_retention_purge_of_deliveries_shows_at_once(town: Town, settings: Any) -> None:
    message = _message_for(alert_approve(alert=pending(town), actor=town.mayor))
    Delivery.objects.create(message=message, user=town.resident, channel="push", status="sent")
    assert figures(town.mayor)["deliveries"]["recipients"] >= 1  # now cached
    # Time passes (a queryset update: no signal): the message leaves the retention period, the cache does not know.
    long_ago = timezone.now() - timedelta(days=settings.NOTIFICATIONS_RETENTION_DAYS + 1)
    Message.objects.filter(pk=message.pk).update(created_at=long_ago)
    Delivery.objects.filter(message=message).update(created_at=long_ago)
    assert purge_old_deliveries.delay().get() >= 1  # beat runs it through the worker, daily
    after = figures(town.mayor)["deliveries"]
    assert after["recipients"] == 0 and after["alerts_with_deliveries_kept"] == 0 and after["alerts_sent"] >= 1


def test_the_retention_anonymisation_keeps_the_figures(town: Town, settings: Any) -> None:
    alert = alert_approve(alert=pending(town), actor=town.mayor)
    Alert.objects.filter(pk=alert.pk).update(reporter=town.resident, created_at=timezone.now() - timedelta(days=400))
    before = figures(town.mayor)
    assert anonymise_old_reports.delay().get() == 1
    assert figures(town.mayor)["totals"] == before["totals"]


def test_official_figures_added_or_imported_show_at_once(town: Town, write_csv: Callable[..., Path]) -> None:
    before = {year["year"] for year in figures(town.mayor)["official"]}
    official("commune", "06128", 2024, 11, dwellings=1500)
    assert {year["year"] for year in figures(town.mayor)["official"]} == before | {2024}
    line = '"06128";"2019";"Cambriolages de logement";"Infraction";"9";"3,6";"diff";"3477";"2019";"2500";"2019";"NA";"NA"'
    import_ssmsi(write_csv(CURRENT_COMMUNE_HEADER, line))
    assert 2019 in {year["year"] for year in figures(town.mayor)["official"]}


@pytest.mark.parametrize("edit", ["admin", "census"])
def test_an_edited_commune_shows_at_once(town: Town, edit: str) -> None:
    burglaries = figures(town.mayor)["rates"]["burglaries"]
    figures(town.mayor)  # the commune kept by this process too (communes/kept.py)
    if edit == "admin":  # a save, as the admin's form
        commune = Commune.objects.get(pk=town.commune.pk)
        commune.population = 7000
        commune.save()
    else:  # a new census: rows written in bulk, then the communes' new version (communes/importer.py)
        Commune.objects.filter(pk=town.commune.pk).update(population=7000)
        data_changed()
    rates = figures(town.mayor)["rates"]
    assert rates["population"] == 7000 and rates["per_1000_inhabitants"] == round(burglaries * 1000 / 7000, 3)


def test_deliveries_still_going_are_kept_a_few_seconds_only(town: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "IN_FLIGHT_SECONDS", 0)  # Django's 0: not kept at all
    message = _message_for(alert_approve(alert=pending(town), actor=town.mayor))
    Delivery.objects.create(message=message, user=town.resident, channel="sms", status="pending")
    assert figures(town.mayor)["deliveries"]["members_reached"] == 0
    Delivery.objects.filter(message=message).update(status="sent")  # the sender's write: no event
    assert figures(town.mayor)["deliveries"]["members_reached"] == 1


def test_without_redis_nothing_is_kept_in_one_process_memory(town: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_shared", lambda: False)  # the breaker open (vigilants/cache.py)
    before = figures(town.mayor)
    Alert.objects.filter(pk=pending(town).pk).update(status=AlertStatus.APPROVED)  # no event at all
    assert figures(town.mayor)["totals"]["total"] == before["totals"]["total"] + 1


def test_an_indented_answer_is_rendered_from_the_same_figures(town: Town) -> None:
    plain = figures(town.mayor)
    response = client_for(town.mayor).get(URL, {"from": "2026-01-01", "to": today().isoformat()},
                                          HTTP_ACCEPT="application/json; indent=2")  # fmt: skip
    assert response.status_code == 200 and response.content.startswith(b'{\n  "commune"')
    assert response.json() == plain


def test_who_may_read_is_checked_before_the_cache(town: Town, charleville: Town) -> None:
    assert figures(town.mayor)
    assert client_for(charleville.mayor).get(URL).status_code == 403
    assert client_for(town.resident).get(URL).status_code == 403


def _message_for(alert: Alert) -> Message:
    message = Message.objects.get(source_type="alert", source_id=alert.pk)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.PLANNED)
    Delivery.objects.filter(message=message).delete()  # the fan-out's own rows: the tests write theirs
    return message
