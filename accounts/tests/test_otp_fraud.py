"""SMS pumping: sign-in codes only to the regions served, within an hourly budget for the whole deployment,
through the global SMS rate that alerts' SMS share."""

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework import exceptions
from rest_framework.test import APIClient

from accounts import otp, otp_budget
from accounts.models import OtpCode
from accounts.otp_budget import budget_state
from providers import ratelimit
from providers.base import Outcome, SendResult
from providers.models import ConsoleMessage

pytestmark = pytest.mark.django_db

FOREIGN = ["+2348031234567", "+8613812345678", "+6281234567890", "+32470123456", "+447911123456"]
# One mobile of each overseas department and territory served by default.
OVERSEAS = {
    "RE": "+262692123456", "YT": "+262639012345", "GP": "+590690001234", "MQ": "+596696123456",
    "GF": "+594694123456", "PM": "+508551234", "WF": "+681821234", "PF": "+68987123456", "NC": "+687751234",
}  # fmt: skip


def request_code(client: APIClient, phone: str) -> Any:
    return client.post("/api/v1/auth/otp/request", {"phone": phone}, format="json")


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+336{12000000 + start + i:08d}" for i in range(count)]


@pytest.fixture
def cache_down() -> Iterator[None]:
    """What the fallback cache does while Redis is down: each process counts alone, in its own memory."""
    with mock.patch.object(type(caches[DEFAULT_CACHE_ALIAS]), "using_redis", False, create=True):
        yield


# --- regions ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("phone", FOREIGN)
def test_it_sends_no_code_to_a_country_the_deployment_does_not_serve(anon: APIClient, phone: str) -> None:
    response = request_code(anon, phone)
    assert response.status_code == 400
    assert "pays" in response.json()["phone"][0]
    assert not OtpCode.objects.exists()
    assert not ConsoleMessage.objects.exists()


def test_it_sends_codes_to_metropolitan_france_and_every_overseas_territory(anon: APIClient) -> None:
    statuses = {region: request_code(anon, phone).status_code for region, phone in OVERSEAS.items()}
    assert statuses == dict.fromkeys(OVERSEAS, 202)
    assert request_code(anon, "06 12 34 56 78").status_code == 202
    assert ConsoleMessage.objects.count() == len(OVERSEAS) + 1


def test_the_regions_come_from_the_settings(anon: APIClient, settings: Any) -> None:
    settings.OTP_ALLOWED_REGIONS = ["BE"]
    assert request_code(anon, "+32470123456").status_code == 202
    assert request_code(anon, "+33612345678").status_code == 400


def test_the_dashboards_phone_form_refuses_a_foreign_number_too(client: Any) -> None:
    response = client.post("/dashboard/login/", {"phone": "+2348031234567"})
    assert response.status_code == 400
    assert "pays et territoires desservis" in response.content.decode()
    assert not OtpCode.objects.exists()
    assert not ConsoleMessage.objects.exists()


# --- the hourly budget --------------------------------------------------------------------------------------
def test_past_the_hourly_budget_it_answers_503_sends_nothing_and_warns_the_operator_once(
    anon: APIClient, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.OTP_HOURLY_BUDGET = 3
    with caplog.at_level(logging.INFO):
        statuses = [request_code(anon, phone).status_code for phone in numbers(3)]
        refused = [request_code(anon, phone) for phone in numbers(2, start=10)]
    assert statuses == [202, 202, 202]
    assert [r.status_code for r in refused] == [503, 503]
    assert 1 <= int(refused[0]["Retry-After"]) <= 3600
    assert "réessayez dans" in refused[0].json()["detail"]
    assert OtpCode.objects.count() == ConsoleMessage.objects.count() == 3
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "accounts.otp_budget"]
    assert len(errors) == 1
    assert "budget" in errors[0].getMessage() and "612000" not in caplog.text
    state = budget_state()
    assert (state.used, state.limit, state.refused, state.exhausted) == (3, 3, 2, True)


def test_the_dashboards_phone_form_says_503_when_the_budget_is_spent(client: Any, settings: Any) -> None:
    settings.OTP_HOURLY_BUDGET = 1
    assert client.post("/dashboard/login/", {"phone": "+33612345678"}).status_code == 302
    refused = client.post("/dashboard/login/", {"phone": "+33612345679"})
    assert refused.status_code == 503
    assert "réessayez dans" in refused.content.decode()


def test_the_budget_is_counted_per_hour(anon: APIClient, settings: Any) -> None:
    settings.OTP_HOURLY_BUDGET = 2
    assert [request_code(anon, phone).status_code for phone in numbers(3)] == [202, 202, 503]
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert request_code(anon, numbers(1, start=20)[0]).status_code == 202
        assert budget_state().used == 1


def test_a_number_over_its_own_limit_does_not_spend_the_budget(anon: APIClient, settings: Any) -> None:
    settings.OTP_HOURLY_BUDGET = 5
    statuses = [request_code(anon, "+33612345678").status_code for _ in range(10)]
    assert statuses == [202] * 3 + [429] * 7
    assert budget_state().used == 3


def test_with_the_cache_down_the_budget_is_counted_in_the_database(anon: APIClient, settings: Any, cache_down: None) -> None:
    settings.OTP_HOURLY_BUDGET = 2
    assert [request_code(anon, phone).status_code for phone in numbers(3)] == [202, 202, 503]
    assert budget_state().used == 2


def test_a_counter_lost_mid_hour_starts_again_from_the_codes_sent(anon: APIClient, settings: Any) -> None:
    settings.OTP_HOURLY_BUDGET = 3
    assert [request_code(anon, phone).status_code for phone in numbers(2)] == [202, 202]
    cache.clear()  # Redis restarted empty
    assert [request_code(anon, phone).status_code for phone in numbers(2, start=5)] == [202, 503]


def test_a_code_that_did_not_go_does_not_count(anon: APIClient, settings: Any) -> None:
    settings.OTP_HOURLY_BUDGET = 1
    refused = mock.Mock()
    refused.send_batch.return_value = [SendResult("otp", Outcome.TRANSIENT, retry_after=5)]
    with mock.patch("accounts.otp.get_sms_backend", return_value=refused):
        assert request_code(anon, "+33612345678").status_code == 503
    assert budget_state().used == 0
    assert request_code(anon, "+33612345679").status_code == 202


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("where", ["cache", "database"])
def test_parallel_requests_cannot_overrun_the_budget(settings: Any, where: str) -> None:
    settings.OTP_HOURLY_BUDGET = 5
    patcher = mock.patch.object(type(caches[DEFAULT_CACHE_ALIAS]), "using_redis", where == "cache", create=True)
    outcomes = _in_parallel(numbers(16), patcher)
    assert outcomes.count("sent") == 5
    assert outcomes.count("budget") == 11
    assert OtpCode.objects.count() == ConsoleMessage.objects.count() == 5


def _in_parallel(phones: list[str], patcher: Any) -> list[str]:
    start, outcomes = threading.Barrier(len(phones)), []

    def request(phone: str) -> None:
        start.wait()
        try:
            otp.otp_request(phone=phone)
            outcomes.append("sent")
        except otp_budget.SignInBudgetExhausted:
            outcomes.append("budget")
        except exceptions.APIException as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    with patcher:
        threads = [threading.Thread(target=request, args=(phone,)) for phone in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return outcomes


# --- the global SMS rate ----------------------------------------------------------------------------------
def test_a_code_takes_its_share_of_the_global_sms_rate(anon: APIClient, settings: Any) -> None:
    settings.SMS_MAX_PER_SECOND = 3
    assert request_code(anon, "+33612345678").status_code == 202
    # The code's SMS is held in the window one second after it went, like any alert's SMS.
    assert ratelimit.acquire(3, timeout=0) is None
    assert ratelimit.acquire(2, timeout=0) is not None


def test_when_alerts_fill_the_sms_rate_it_answers_503_and_leaves_nothing_behind(
    anon: APIClient, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(otp, "SMS_RATE_WAIT_SECONDS", 0.3)
    other_worker = ratelimit.acquire(settings.SMS_MAX_PER_SECOND)  # a fan-out holds the whole second
    assert other_worker is not None
    response = request_code(anon, "+33612345678")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert not OtpCode.objects.exists()
    assert not ConsoleMessage.objects.exists()
    assert budget_state().used == 0


def test_with_redis_unreachable_the_code_still_goes_outside_the_rate(
    anon: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    with mock.patch.object(ratelimit, "acquire", side_effect=RedisConnectionError("down")), caplog.at_level(logging.WARNING):
        assert request_code(anon, "+33612345678").status_code == 202
    assert ConsoleMessage.objects.count() == 1
    assert "outside the global SMS rate" in caplog.text
    assert "612345678" not in caplog.text
