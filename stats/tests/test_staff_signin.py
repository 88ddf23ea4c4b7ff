"""Staff sign-in (dashboards' password form and /admin/login/): lockout, TOTP second factor, session lifetime."""

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import staff_auth
from accounts.models import User
from conftest import Town
from providers.models import ConsoleMessage

PASSWORD = "staff-password-123"
STAFF_TYPED = "06 99 99 99 99"  # the staff fixture's +33699999999, as a person types it
PATHS = ["/dashboard/login/password/", "/admin/login/"]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(staff: User) -> TOTPDevice:
    return staff_auth.enrol(staff)


def post_password(client: Client, path: str, username: str, password: str, address: str = "192.0.2.10", **extra: Any):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def post_code(client: Client, code: str, address: str = "192.0.2.10"):
    return client.post("/dashboard/login/totp/", {"code": code}, REMOTE_ADDR=address)


def wrong(code: str) -> str:
    """A code off by one: never the current one nor its neighbours in time."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def verified(user: User, device: TOTPDevice) -> Client:
    """A staff session as the sign-in leaves it, for tests that are not about signing in."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Password, then TOTP code ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_staff_account_without_a_totp_device_cannot_sign_in_with_its_password(path: str, staff: User) -> None:
    client = Client()
    refused = post_password(client, path, STAFF_TYPED, PASSWORD)
    assert refused.status_code == 403
    assert "demandez à l'exploitant" in text(refused)
    assert not signed_in(client) and client.get("/dashboard/").status_code == 302


def test_the_right_password_alone_opens_nothing(staff: User, device: TOTPDevice) -> None:
    client = Client()
    answer = post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
    assert answer.status_code == 302 and answer["Location"] == "/dashboard/login/totp/"
    assert not signed_in(client)
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/admin/").status_code == 302
    page = client.get("/dashboard/login/totp/")
    assert page.status_code == 200 and "application d’authentification" in text(page)


def test_a_wrong_code_is_refused_and_the_right_one_opens_a_verified_session(staff: User, device: TOTPDevice) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
        refused = post_code(client, wrong(staff_auth.current_code(device)))
        assert refused.status_code == 400 and "Code incorrect" in text(refused)
        assert not signed_in(client)
        clock.shift(timedelta(seconds=5))  # past django-otp's own back-off after a wrong code
        device.refresh_from_db()
        opened = post_code(client, staff_auth.current_code(device))
        assert opened.status_code == 302 and opened["Location"] == "/dashboard/"
        assert signed_in(client) and client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get("/dashboard/").status_code == 200
        assert client.get("/admin/").status_code == 200


def test_the_code_step_expires_after_a_few_minutes(staff: User, device: TOTPDevice) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
        clock.shift(timedelta(minutes=6))
        late = post_code(client, staff_auth.current_code(device))
        assert late.status_code == 302 and late["Location"] == "/dashboard/login/password/"
        assert not signed_in(client)


def test_the_admin_signs_staff_in_with_password_and_code_and_goes_back_to_the_page(staff: User, device: TOTPDevice) -> None:
    client = Client()
    sent = client.get("/admin/accounts/user/")
    assert sent.status_code == 302 and sent["Location"] == "/admin/login/?next=/admin/accounts/user/"
    assert client.get(sent["Location"]).status_code == 200
    assert post_password(client, "/admin/login/", STAFF_TYPED, PASSWORD)["Location"] == "/dashboard/login/totp/"
    opened = post_code(client, staff_auth.current_code(device))
    assert opened.status_code == 302 and opened["Location"] == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_admin_sends_an_unverified_staff_session_to_the_login(staff: User, device: TOTPDevice) -> None:
    client = Client()
    client.force_login(staff)
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")
    assert verified(staff, device).get("/admin/").status_code == 200


def test_staff_signed_in_by_sms_code_do_not_get_into_the_admin(staff: User, device: TOTPDevice) -> None:
    client = Client()
    client.post("/dashboard/login/", {"phone": STAFF_TYPED})
    body = ConsoleMessage.objects.filter(channel="sms").latest("created_at").body
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None, body
    code = found.group(1)
    assert client.post("/dashboard/login/code/", {"code": code}).status_code == 302
    assert signed_in(client) and client.get("/dashboard/").status_code == 200  # the SMS path stays as it was
    answer = client.get("/admin/")
    assert answer.status_code == 302 and answer["Location"].startswith("/admin/login/")


# --- Lockout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(path: str, staff: User, device: TOTPDevice) -> None:
    client = Client()
    answers = [post_password(client, path, STAFF_TYPED, f"wrong-{n}").status_code for n in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    locked = post_password(client, path, STAFF_TYPED, PASSWORD)
    assert locked.status_code == 429
    assert "Trop d'essais infructueux" in text(locked) and "15 minutes" in text(locked)
    assert "<form" in text(locked)  # the form again, with the message
    # Per account: another address, and the number typed another way, are locked out too.
    elsewhere = post_password(Client(), path, "+33699999999", PASSWORD, address="198.51.100.7")
    assert elsewhere.status_code == 429
    assert not signed_in(client)


def test_the_lock_lifts_after_the_cool_off(staff: User, device: TOTPDevice) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        for n in range(5):
            post_password(client, "/dashboard/login/password/", STAFF_TYPED, f"wrong-{n}")
        clock.shift(timedelta(minutes=14))
        assert post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=2))
        assert post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(staff: User, device: TOTPDevice) -> None:
    client = Client()
    for n in range(5):
        post_password(client, "/admin/login/", f"06 12 34 56 7{n}", "guess-123456")
    locked = post_password(client, "/admin/login/", STAFF_TYPED, PASSWORD)
    assert locked.status_code == 429 and "Trop d'essais infructueux" in text(locked)
    # The account itself is not locked: its owner, from their own address, goes on to the code.
    owner = post_password(Client(), "/admin/login/", STAFF_TYPED, PASSWORD, address="198.51.100.7")
    assert owner.status_code == 302 and owner["Location"] == "/dashboard/login/totp/"


def test_a_forged_forwarded_for_header_does_not_escape_the_address_lock(staff: User, device: TOTPDevice) -> None:
    client = Client()
    for n in range(5):
        post_password(client, "/dashboard/login/password/", f"06 12 34 56 7{n}", "guess-123456",
                      HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")  # fmt: skip
    locked = post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert locked.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(settings, staff: User, device: TOTPDevice) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = Client()
    for n in range(5):
        post_password(client, "/dashboard/login/password/", f"06 12 34 56 7{n}", "guess-123456",
                      HTTP_X_FORWARDED_FOR="203.0.113.1")  # fmt: skip
    proxy = "192.0.2.10"  # every request comes through the same proxy
    assert post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD, address=proxy,
                         HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429  # fmt: skip
    other_client = post_password(Client(), "/dashboard/login/password/", STAFF_TYPED, PASSWORD, address=proxy,
                                 HTTP_X_FORWARDED_FOR="203.0.113.2")  # fmt: skip
    assert other_client.status_code == 302


def test_wrong_codes_count_towards_the_lockout(staff: User, device: TOTPDevice) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        assert post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD).status_code == 302
        answers = []
        for _ in range(5):
            device.refresh_from_db()
            answers.append(post_code(client, wrong(staff_auth.current_code(device))).status_code)
            clock.shift(timedelta(seconds=20))  # past django-otp's back-off: axes alone stops it
        assert answers == [400, 400, 400, 400, 429]
        device.refresh_from_db()
        assert post_code(client, staff_auth.current_code(device))["Location"] == "/dashboard/login/password/"
        assert post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD).status_code == 429
        assert not signed_in(client)


def test_django_otp_backs_off_between_wrong_codes(staff: User, device: TOTPDevice) -> None:
    client = Client()
    with time_machine.travel(START, tick=False):
        post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
        post_code(client, wrong(staff_auth.current_code(device)))
        device.refresh_from_db()
        too_soon = post_code(client, staff_auth.current_code(device))
        assert too_soon.status_code == 429 and "patientez" in text(too_soon)
        assert not signed_in(client)


def test_a_full_sign_in_resets_the_accounts_counter(staff: User, device: TOTPDevice) -> None:
    client = Client()
    for n in range(4):
        post_password(client, "/dashboard/login/password/", STAFF_TYPED, f"wrong-{n}")
    post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
    assert post_code(client, staff_auth.current_code(device)).status_code == 302
    client.post("/dashboard/logout/")
    again = [post_password(client, "/dashboard/login/password/", STAFF_TYPED, f"again-{n}").status_code for n in range(4)]
    assert again == [400, 400, 400, 400]


def test_failed_sign_ins_never_log_the_phone_number(caplog: pytest.LogCaptureFixture, staff: User, device: TOTPDevice) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client()
    for n in range(5):
        post_password(client, "/dashboard/login/password/", STAFF_TYPED, f"wrong-{n}")
    assert "AXES" in caplog.text  # axes did log the failures and the lockout
    assert "699999999" not in caplog.text and "99 99 99 99" not in caplog.text
    assert "192.0.2.10" not in caplog.text


# --- Session lifetime -----------------------------------------------------------------------------


def test_a_dashboard_session_ends_after_thirty_idle_minutes(saint_paul: Town) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(saint_paul.mayor)
        assert client.get("/dashboard/").status_code == 200
        for _ in range(3):  # active every 29 minutes: the session stays open
            clock.shift(timedelta(minutes=29))
            assert client.get("/dashboard/").status_code == 200
        clock.shift(timedelta(minutes=31))
        ended = client.get("/dashboard/")
        assert ended.status_code == 302 and ended["Location"].startswith("/dashboard/login/")
        assert not signed_in(client)


def test_an_admin_session_ends_when_idle(staff: User, device: TOTPDevice) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = verified(staff, device)
        assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_a_session_ends_after_eight_hours_however_active(saint_paul: Town) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        client.force_login(saint_paul.mayor)
        for _ in range(8 * 3):  # a request every 20 minutes for 8 hours
            assert client.get("/dashboard/").status_code == 200
            clock.shift(timedelta(minutes=20))
        clock.shift(timedelta(minutes=1))
        assert client.get("/dashboard/").status_code == 302


def test_the_session_cookie_ends_with_the_browser(staff: User, device: TOTPDevice) -> None:
    client = Client()
    post_password(client, "/dashboard/login/password/", STAFF_TYPED, PASSWORD)
    opened = post_code(client, staff_auth.current_code(device))
    cookie = opened.cookies["sessionid"]
    assert cookie.value and not cookie["max-age"] and not cookie["expires"]
