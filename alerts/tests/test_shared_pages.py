"""Residents share their commune's list page (alerts/pages.py): served from the cache while current, never
stale after a change, never to those whose page differs (moderators, staff, reporters)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import signin_cache
from accounts.models import AuthToken, hash_secret
from accounts.token_lookup import token_with_user_and
from alerts import pages
from alerts.models import Alert, FollowUp
from alerts.selectors import disclosure_context, visible_alerts
from alerts.serializers import AlertSerializer
from communes.models import ModerationDelegation, TerritoryKind, TerritoryOperator
from conftest import Town, client_for
from tests.factories import MembershipFactory, UserFactory

LIST = "/api/v1/alerts"


def approved(town: Town, **fields: Any) -> Alert:
    defaults = {"commune": town.commune, "category": "cambriolage", "description": "Porte fracturée",
                "occurred_at": timezone.now() - timedelta(hours=1), "status": "approved"}  # fmt: skip
    return Alert.objects.create(**{**defaults, **fields})


CLIENTS: dict[int, Any] = {}


@pytest.fixture(autouse=True)
def _one_client_each() -> None:
    CLIENTS.clear()


def listed(user: Any, **params: Any) -> list[dict[str, Any]]:
    """The first page, as `user` reads it on their phone (one token each: a new one would cost queries)."""
    if user.pk not in CLIENTS:
        CLIENTS[user.pk] = client_for(user)
    api = CLIENTS[user.pk]
    response = api.get(LIST, {"commune": "06128", **params})
    assert response.status_code == 200
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


def queries_of(user: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        listed(user)
    return len(captured)


@pytest.fixture
def season(saint_paul: Town) -> list[Alert]:
    return [approved(saint_paul, reporter=saint_paul.referent, address="3 rue Haute", latitude=43.6971234,
                     longitude=7.1223456) for _ in range(3)]  # fmt: skip


def test_a_resident_reads_the_shared_copy_in_one_query(
    saint_paul: Town, season: list[Alert], django_capture_on_commit_callbacks: Any
) -> None:
    resident, other = saint_paul.resident, saint_paul.resident2
    listed(resident), listed(other)  # tokens marked used; the page kept
    first = queries_of(resident)
    # Who asks and whether they may share the page: kept with the token in Redis (accounts/signin_cache.py), or
    # without Redis in the token's statement; the page is the cache's.
    assert queries_of(other) == first == (0 if signin_cache.in_use() else 1)
    expected = [AlertSerializer(a, context=disclosure_context(other)).data for a in visible_alerts(other)]
    assert listed(other) == expected and expected[0]["address"] is None


@pytest.mark.parametrize("change", ["new", "approve", "close", "followup", "delete", "edit"])
def test_a_change_shows_at_once(saint_paul: Town, season: list[Alert], change: str,
                                django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    before = listed(saint_paul.resident)
    pending = Alert.objects.create(commune=saint_paul.commune, category="vol", description="Vélo volé",
                                   occurred_at=timezone.now(), reporter=saint_paul.referent)  # fmt: skip
    listed(saint_paul.resident)  # kept again, without the pending report
    with django_capture_on_commit_callbacks(execute=True):
        if change == "new":
            approved(saint_paul)
        elif change == "approve":
            client_for(saint_paul.mayor).post(f"{LIST}/{pending.pk}/approve")
        elif change == "close":
            closing = {"kind": "end", "body": "Fin d'alerte : les gendarmes sont passés"}
            closed = client_for(saint_paul.mayor).post(f"{LIST}/{season[0].pk}/followups", closing, format="json")
            assert closed.status_code == 201
        elif change == "followup":
            FollowUp.objects.create(alert=season[0], kind="end", body="Fin d'alerte")
        elif change == "delete":
            season[1].delete()
        else:
            Alert.objects.filter(pk=season[2].pk).first().save(update_fields=[])  # type: ignore[union-attr]
            season[2].title = "Corrigé"
            season[2].save()
    after = listed(saint_paul.resident)
    expected = [AlertSerializer(a, context=disclosure_context(saint_paul.resident)).data
                for a in visible_alerts(saint_paul.resident).filter(commune=saint_paul.commune)]  # fmt: skip
    assert after == expected and after != before


@pytest.mark.parametrize("who", ["mayor", "referent", "staff", "reporter"])
def test_those_whose_page_differs_never_get_the_shared_copy(
    saint_paul: Town, staff: Any, season: list[Alert], who: str
) -> None:
    own = approved(saint_paul, reporter=saint_paul.resident2, address="7 chemin des Oliviers")
    listed(saint_paul.resident)  # the residents' copy is kept
    user = {"staff": staff, "reporter": saint_paul.resident2}.get(who) or getattr(saint_paul, who)
    expected = [AlertSerializer(a, context=disclosure_context(user)).data
                for a in visible_alerts(user).filter(commune=saint_paul.commune)]  # fmt: skip
    assert listed(user) == expected
    mine = next(row for row in expected if row["id"] == own.pk)
    assert ("reporter" in mine) == (who != "reporter") or mine["address"] == "7 chemin des Oliviers"


def test_a_copy_is_kept_per_query(saint_paul: Town, season: list[Alert]) -> None:
    approved(saint_paul, category="vol")
    assert len(listed(saint_paul.resident)) == 4
    assert len(listed(saint_paul.resident, category="vol")) == 1
    assert len(listed(saint_paul.resident, page_size=2)) == 2


def test_an_unchanged_list_answers_304(saint_paul: Town, season: list[Alert], django_capture_on_commit_callbacks: Any) -> None:
    api = client_for(saint_paul.resident)
    first = api.get(LIST, {"commune": "06128"})
    again = api.get(LIST, {"commune": "06128"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    with django_capture_on_commit_callbacks(execute=True):
        approved(saint_paul)
    assert api.get(LIST, {"commune": "06128"}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_who_shares_the_residents_page_follows_the_rule(saint_paul: Town, charleville: Town, staff: Any) -> None:
    """The SQL that picks who shares the page: approved residents of the commune who reported none of its alerts
    and do not moderate them by delegation."""
    from django.db.models import Exists, OuterRef

    from alerts.pages import _resident_without_reports
    from communes.access import delegated_commune_ids
    from communes.models import Membership

    shared = approved(saint_paul, reporter=saint_paul.resident2)
    elsewhere = approved(charleville, reporter=saint_paul.resident)
    operating = MembershipFactory.create(commune=saint_paul.commune, user=UserFactory.create()).user
    TerritoryOperator.objects.create(user=operating, kind=TerritoryKind.DEPARTEMENT, code="06")
    ModerationDelegation.objects.create(commune=saint_paul.commune, kind=TerritoryKind.DEPARTEMENT, code="06")
    people = [saint_paul.mayor, saint_paul.referent, saint_paul.resident, saint_paul.resident2, saint_paul.applicant,
              charleville.resident, staff, operating]  # fmt: skip
    for person in people:
        own = Alert.objects.filter(reporter=person, commune_id=OuterRef("commune_id"))
        rule = Membership.objects.filter(user=person, commune__insee="06128", status="approved", role="resident")
        rule = rule.exclude(commune_id__in=delegated_commune_ids(person))
        expected = rule.filter(~Exists(own)).values_list("commune_id", flat=True).first()
        assert _resident_without_reports(person, "06128") == expected, person
        # The same rule read with a device token (accounts.token_lookup): by INSEE code (the list), by alert.
        _, key = AuthToken.objects.issue(person, "rule")
        assert token_with_user_and(hash_secret(key), pages.resident_by_insee("06128"))[1] == expected, person
        assert token_with_user_and(hash_secret(key), pages.resident_by_alert(shared.pk))[1] == expected, person
        there = _resident_without_reports(person, commune_id=charleville.commune.pk)
        assert token_with_user_and(hash_secret(key), pages.resident_by_alert(elsewhere.pk))[1] == there, person
    assert _resident_without_reports(saint_paul.resident, "06128") == saint_paul.commune.pk
    assert _resident_without_reports(charleville.resident, commune_id=charleville.commune.pk) == charleville.commune.pk
    assert _resident_without_reports(saint_paul.resident2, "06128") is None
    assert _resident_without_reports(operating, "06128") is None


def test_one_alert_is_shared_among_residents_and_never_stale(
    saint_paul: Town, season: list[Alert], django_capture_on_commit_callbacks: Any
) -> None:
    path = f"{LIST}/{season[0].pk}"
    resident, other = client_for(saint_paul.resident), client_for(saint_paul.resident2)
    first = resident.get(path)
    assert first.status_code == 200 and first.json()["address"] is None
    with CaptureQueriesContext(connection) as captured:
        assert other.get(path).json() == first.json()
    assert len(captured) == 2  # the token with who may share, marking it used; the alert is the cache's
    with django_capture_on_commit_callbacks(execute=True):
        FollowUp.objects.create(alert=season[0], kind="erratum", body="Un artisan")
    assert [f["body"] for f in other.get(path).json()["followups"]] == ["Un artisan"]


@pytest.mark.parametrize("who", ["mayor", "referent", "staff", "reporter", "charleville"])
def test_one_alert_is_read_by_the_others_as_their_rights_say(
    saint_paul: Town, charleville: Town, staff: Any, season: list[Alert], who: str
) -> None:
    own = approved(saint_paul, reporter=saint_paul.resident2, address="7 chemin des Oliviers")
    assert client_for(saint_paul.resident).get(f"{LIST}/{own.pk}").status_code == 200  # the residents' copy
    user = {"staff": staff, "reporter": saint_paul.resident2, "charleville": charleville.resident}.get(who)
    user = user or getattr(saint_paul, who)
    response = client_for(user).get(f"{LIST}/{own.pk}")
    if who == "charleville":
        assert response.status_code == 404
        return
    assert response.json() == AlertSerializer(own, context=disclosure_context(user)).data
    assert response.json()["address"] == "7 chemin des Oliviers"  # moderators and the reporter see it


def test_a_process_that_knows_the_alerts_commune_reads_the_copy_and_its_version_at_once(
    saint_paul: Town, season: list[Alert], django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = f"{LIST}/{season[0].pk}"
    resident, other = client_for(saint_paul.resident), client_for(saint_paul.resident2)
    resident.get(path)  # kept, and this process learns the alert's commune
    reads: list[tuple[str, ...]] = []
    get, get_many = cache.get, cache.get_many

    inside: list[bool] = []  # a cache without its own get_many (make run's) calls get for each key

    def counted_get(key: str, *args: Any, **kwargs: Any) -> Any:
        if not inside:
            reads.append((key,))
        return get(key, *args, **kwargs)

    def counted_get_many(keys: list[str], *args: Any, **kwargs: Any) -> Any:
        reads.append(tuple(keys))
        inside.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(cache, "get", counted_get)
    monkeypatch.setattr(cache, "get_many", counted_get_many)
    assert other.get(path).json() == resident.get(path).json()
    # The copy and the version at once: in the kept token's round trip on Redis (accounts/signin_cache.py, whose
    # tests count it), else in one read of the cache each.
    expected = [] if signin_cache.in_use() else [2, 2]
    assert [len(keys) for keys in reads if keys[0].startswith("alerts:")] == expected
    for known in (True, False):  # this process, and another that never read the alert
        if not known:
            pages._COMMUNE_OF.clear()
        with django_capture_on_commit_callbacks(execute=True):
            FollowUp.objects.create(alert=season[0], kind="erratum", body=f"Erratum {known}")
        assert other.get(path).json()["followups"][-1]["body"] == f"Erratum {known}"


@pytest.mark.parametrize("pk", ["2147483648", "9223372036854775807", "9223372036854775808", "9" * 30])
def test_an_alert_id_beyond_any_column_is_a_404(saint_paul: Town, pk: str) -> None:
    assert client_for(saint_paul.resident).get(f"{LIST}/{pk}").status_code == 404


@pytest.mark.parametrize("commune", ["\x00", "06128\x00", "x" * 5000, "0612"])
def test_a_commune_that_is_no_insee_code_is_the_filter_s_to_answer(saint_paul: Town, commune: str) -> None:
    response = client_for(saint_paul.resident).get(LIST, {"commune": commune})
    if "\x00" in commune:
        assert response.status_code == 400 and "commune" in response.json()
    else:
        assert response.status_code == 200 and response.json()["results"] == []
