import re
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AuthToken, OtpCode, User
from providers.models import ConsoleMessage

PHONE = "+33612345678"


def last_code(phone: str = PHONE) -> str:
    message = ConsoleMessage.objects.filter(recipient=phone, channel="sms").order_by("-pk").first()
    assert message is not None, phone
    code = re.search(r"\b(\d{6})\b", message.body)
    assert code is not None, message.body
    return code.group(1)


def sign_in(client: APIClient, device: str) -> str:
    response = client.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": last_code(), "device_name": device})
    return response.json()["token"]


def request_code(client: APIClient, phone: str = "06 12 34 56 78") -> int:
    return client.post("/api/v1/auth/otp/request", {"phone": phone}, format="json").status_code


@pytest.mark.django_db
def test_it_sends_a_code_and_signs_in_creating_the_account(anon: APIClient) -> None:
    assert request_code(anon) == 202
    assert OtpCode.objects.get().code_hash != last_code()  # stored hashed
    response = anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": last_code(), "device_name": "Pixel"})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["phone"] == PHONE
    assert User.objects.get(phone=PHONE).auth_tokens.get().device_name == "Pixel"
    me = APIClient(HTTP_AUTHORIZATION=f"Token {body['token']}").get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["phone"] == PHONE


@pytest.mark.django_db
def test_a_code_works_once(anon: APIClient) -> None:
    request_code(anon)
    code = last_code()
    assert anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 200
    second = anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code})
    assert second.status_code == 400
    assert "code" in second.json()


@pytest.mark.django_db
def test_a_code_expires_after_ten_minutes(anon: APIClient) -> None:
    request_code(anon)
    code = last_code()
    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        assert anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 400


@pytest.mark.django_db
def test_five_wrong_tries_burn_the_code(anon: APIClient) -> None:
    request_code(anon)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": wrong}).json()["code"]
    assert anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code}).status_code == 400
    assert not User.objects.filter(phone=PHONE).exists()


@pytest.mark.django_db
def test_twenty_requests_a_minute_send_at_most_three(anon: APIClient) -> None:
    statuses = [request_code(anon) for _ in range(20)]
    assert statuses.count(202) == 3
    assert statuses.count(429) == 17
    assert ConsoleMessage.objects.filter(recipient=PHONE).count() == 3
    response = anon.post("/api/v1/auth/otp/request", {"phone": PHONE})
    assert int(response["Retry-After"]) > 500


@pytest.mark.django_db
def test_the_per_ip_limit_is_loose_and_configurable(anon: APIClient, settings) -> None:
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "otp_ip": "5/hour"}
    with mock.patch.object(ScopedRateThrottle, "THROTTLE_RATES", rates):
        statuses = [request_code(anon, f"+3361234560{i}") for i in range(7)]
    assert statuses == [202] * 5 + [429] * 2


@pytest.mark.django_db
@pytest.mark.parametrize(("phone", "message"), [("123", "invalide"), ("01 42 34 56 78", "mobile"), ("", "")])
def test_it_refuses_invalid_and_landline_numbers(anon: APIClient, phone: str, message: str) -> None:
    response = anon.post("/api/v1/auth/otp/request", {"phone": phone})
    assert response.status_code == 400
    assert message in response.json()["phone"][0]
    assert not OtpCode.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_malformed_code(anon: APIClient) -> None:
    response = anon.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": "12ab"})
    assert response.status_code == 400
    assert "code" in response.json()


@pytest.mark.django_db
def test_logout_revokes_only_this_device(anon: APIClient) -> None:
    tokens = []
    for device in ("phone", "tablet"):
        request_code(anon)
        tokens.append(sign_in(anon, device))
    phone, tablet = (APIClient(HTTP_AUTHORIZATION=f"Token {t}") for t in tokens)
    sessions = tablet.get("/api/v1/auth/sessions").json()["results"]
    assert {s["device_name"]: s["current"] for s in sessions} == {"phone": False, "tablet": True}
    assert phone.post("/api/v1/auth/logout").status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert tablet.get("/api/v1/me").status_code == 200
    assert AuthToken.objects.count() == 1


@pytest.mark.django_db
def test_a_user_can_end_another_session(anon: APIClient) -> None:
    tokens = []
    for device in ("lost phone", "new phone"):
        request_code(anon)
        tokens.append(sign_in(anon, device))
    new = APIClient(HTTP_AUTHORIZATION=f"Token {tokens[1]}")
    lost_id = next(s["id"] for s in new.get("/api/v1/auth/sessions").json()["results"] if not s["current"])
    assert new.delete(f"/api/v1/auth/sessions/{lost_id}").status_code == 204
    assert APIClient(HTTP_AUTHORIZATION=f"Token {tokens[0]}").get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_with_the_cache_down_the_limit_still_holds_and_nothing_breaks(anon: APIClient) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    with mock.patch("accounts.otp.cache.add", side_effect=RedisConnectionError("down")):
        statuses = [request_code(anon) for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]


@pytest.mark.django_db
def test_while_the_cache_answers_from_one_process_memory_the_limit_is_counted_in_the_database(anon: APIClient) -> None:
    from django.core.cache import DEFAULT_CACHE_ALIAS, caches

    # What the fallback cache does during a Redis outage: each process counts alone, so four processes would
    # each let three codes through. The database is shared by all of them.
    with mock.patch.object(type(caches[DEFAULT_CACHE_ALIAS]), "using_redis", False, create=True), \
         mock.patch("accounts.otp._count_in_cache", return_value=1):  # fmt: skip
        statuses = [request_code(anon) for _ in range(5)]
    assert statuses == [202, 202, 202, 429, 429]
