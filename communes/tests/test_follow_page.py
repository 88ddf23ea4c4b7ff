"""/suivre/<insee>/: a person without the app confirms their number by SMS code, chooses quartiers, follows by
SMS, changes their mind, stops; the sign-in's limits apply; French, no inline code; STOP by SMS works too."""

import re
import uuid
from html import unescape
from typing import Any

import pytest
from django.test import Client
from twilio.request_validator import RequestValidator

from accounts.models import User
from communes.models import Commune, Follow
from conftest import Town
from notifications import planner
from notifications.models import Audience, Delivery, Message, SmsOptOut
from providers.models import ConsoleMessage
from tests.factories import CommuneFactory, NeighbourhoodFactory

START = "/suivre/06128/"
CHOOSE = "/suivre/06128/quartiers/"
PHONE = "06 98 76 54 32"
E164 = "+33698765432"
INLINE_CODE = re.compile(r"""\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\bsrc=)""", re.IGNORECASE)


def last_code() -> str:
    body = ConsoleMessage.objects.filter(channel="sms").latest("created_at").body
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body
    return code.group(1)


def confirmed(client: Client, phone: str = PHONE) -> Client:
    """Steps 1 and 2: the number, then the code it received."""
    assert client.post(START, {"phone": phone})["Location"] == "/suivre/06128/code/"
    answer = client.post("/suivre/06128/code/", {"code": last_code()})
    assert answer.status_code == 302 and answer["Location"] == CHOOSE, answer.content[:300]
    return client


def page(client: Client, path: str = CHOOSE) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    html: str = answer.content.decode()
    return html


def test_a_person_follows_by_sms_with_quartiers_changes_them_and_stops(saint_paul: Town) -> None:
    north = NeighbourhoodFactory.create(commune=saint_paul.commune, name="Les Collettes")
    south = NeighbourhoodFactory.create(commune=saint_paul.commune, name="La Fontette")
    client = Client(enforce_csrf_checks=True)
    first = client.get(START)
    assert first.status_code == 200 and "Recevoir les avis de Saint-Paul-de-Vence" in first.content.decode()
    csrf = first.cookies["csrftoken"].value
    assert client.post(START, {"phone": PHONE, "csrfmiddlewaretoken": csrf})["Location"] == "/suivre/06128/code/"
    assert "se terminant par 32" in page(client, "/suivre/06128/code/")
    assert client.post("/suivre/06128/code/", {"code": last_code(), "csrfmiddlewaretoken": csrf})["Location"] == CHOOSE
    csrf = client.cookies["csrftoken"].value  # a new session after the code: its token too
    html = page(client)
    assert "Les Collettes" in html and "La Fontette" in html and 'data-testid="following"' not in html
    followed = client.post(CHOOSE, {"neighbourhoods": [str(north.pk)], "csrfmiddlewaretoken": csrf})
    assert followed.status_code == 302
    follow = Follow.objects.get(user__phone=E164, commune=saint_paul.commune)
    assert (follow.channels, list(follow.neighbourhoods.all()), follow.stopped_at) == (["sms"], [north], None)
    html = page(client)
    assert "les avis de Saint-Paul-de-Vence vous parviendront par SMS" in html
    assert "pour ces quartiers et pour toute la commune : Les Collettes." in html
    client.post(CHOOSE, {"neighbourhoods": [str(north.pk), str(south.pk)], "csrfmiddlewaretoken": csrf})
    assert set(Follow.objects.get(pk=follow.pk).neighbourhoods.all()) == {north, south}
    stopped = client.post("/suivre/06128/arreter/", {"csrfmiddlewaretoken": csrf})
    assert stopped.status_code == 302 and Follow.objects.get(pk=follow.pk).stopped_at is not None
    assert "vous ne recevrez plus les avis de Saint-Paul-de-Vence" in page(client)


def test_the_first_confirmation_creates_the_person_who_can_use_the_app_later(saint_paul: Town) -> None:
    confirmed(Client())
    person = User.objects.get(phone=E164)
    assert not person.memberships.exists() and not person.follows.exists()


def test_a_quartier_of_another_commune_is_refused_and_nothing_changes(saint_paul: Town, charleville: Town) -> None:
    theirs = NeighbourhoodFactory.create(commune=charleville.commune)
    client = confirmed(Client())
    answer = client.post(CHOOSE, {"neighbourhoods": [str(theirs.pk)]})
    assert answer.status_code == 400 and "Ce quartier n'appartient pas à cette commune." in unescape(answer.content.decode())
    bad = client.post(CHOOSE, {"neighbourhoods": ["nord", "9" * 40]})
    assert bad.status_code == 400
    assert not Follow.objects.exists()


def test_choosing_needs_a_confirmed_number_and_the_confirmation_does_not_sign_in(saint_paul: Town) -> None:
    stranger = Client()
    assert stranger.get(CHOOSE)["Location"] == START
    assert stranger.post(CHOOSE, {})["Location"] == START
    assert stranger.post("/suivre/06128/arreter/")["Location"] == START
    assert stranger.get("/suivre/06128/code/")["Location"] == START  # no number given yet
    client = confirmed(Client())
    assert "_auth_user_id" not in client.session
    assert client.get("/dashboard/")["Location"].startswith("/dashboard/login/")
    assert client.get("/api/v1/me").status_code in (401, 403)
    client.post("/suivre/06128/terminer/")
    assert client.get(CHOOSE)["Location"] == START


def test_the_confirmation_expires(saint_paul: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    from communes import follow_pages

    client = confirmed(Client())
    monkeypatch.setattr(follow_pages, "CONFIRMED_FOR_SECONDS", -1)
    assert client.get(CHOOSE)["Location"] == START


def test_a_wrong_code_is_refused(saint_paul: Town) -> None:
    client = Client()
    client.post(START, {"phone": PHONE})
    wrong = "000000" if last_code() != "000000" else "111111"
    answer = client.post("/suivre/06128/code/", {"code": wrong})
    assert answer.status_code == 400 and "Code incorrect" in answer.content.decode()
    assert client.get(CHOOSE)["Location"] == START


def test_the_sign_in_limits_apply(saint_paul: Town, settings: Any) -> None:
    client = Client()
    for _ in range(3):
        assert client.post(START, {"phone": PHONE}).status_code == 302
    throttled = client.post(START, {"phone": PHONE})
    assert throttled.status_code == 429 and "Trop de codes demandés pour ce numéro" in throttled.content.decode()
    assert ConsoleMessage.objects.count() == 3
    landline = client.post(START, {"phone": "01 42 76 40 40"})
    assert landline.status_code == 400 and ConsoleMessage.objects.count() == 3


def test_the_per_address_limit_of_the_api_applies(saint_paul: Town, monkeypatch: pytest.MonkeyPatch) -> None:
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {**ScopedRateThrottle.THROTTLE_RATES, "otp_ip": "1/hour"})
    client = Client()
    assert client.post(START, {"phone": PHONE}).status_code == 302
    refused = client.post(START, {"phone": "06 11 22 33 44"})
    assert refused.status_code == 429 and "Trop de demandes depuis cette adresse" in refused.content.decode()


def test_a_commune_not_enrolled_or_unknown_has_no_page(db: None) -> None:
    CommuneFactory.create(insee="06123", name="Vence", enrolled=False, enrolled_at=None)
    for path in ("/suivre/06123/", "/suivre/06999/", "/suivre/abc/", "/suivre/06123/quartiers/"):
        assert Client().get(path).status_code == 404


def test_the_pages_are_french_and_carry_no_inline_code(saint_paul: Town) -> None:
    NeighbourhoodFactory.create(commune=saint_paul.commune, name="Le Puy")
    client = Client()
    pages = {"phone": page(client, START)}
    client.post(START, {"phone": PHONE})
    pages["code"] = page(client, "/suivre/06128/code/")
    client.post("/suivre/06128/code/", {"code": last_code()})
    pages["choose"] = page(client)
    client.post(CHOOSE, {})
    pages["following"] = page(client)
    for name, html in pages.items():
        assert 'lang="fr"' in html, name
        assert not INLINE_CODE.search(html), (name, INLINE_CODE.search(html))
    assert "Ne plus suivre les avis de Saint-Paul-de-Vence" in pages["following"]
    assert "répondre STOP" in pages["following"]


def public_warning(commune: Commune) -> Message:
    return Message.objects.create(commune=commune, kind="broadcast", audience=Audience.PUBLIC, title="Crue",
                                  body="Montée des eaux.", channels=["push", "sms"], urgent=True)  # fmt: skip


def sms_rows(msg: Message, phone: str = E164) -> list[str]:
    planner.plan(msg.pk)
    return list(Delivery.objects.filter(message=msg, user__phone=phone).values_list("channel", flat=True))


def test_a_follower_who_answers_stop_receives_no_more_sms(saint_paul: Town, settings: Any) -> None:
    client = confirmed(Client())
    client.post(CHOOSE, {})
    assert sms_rows(public_warning(saint_paul.commune)) == ["sms"]  # following by SMS: texted
    settings.TWILIO_AUTH_TOKEN, settings.PUBLIC_BASE_URL = "stop-test-token", "https://vigilants.example.fr"
    params = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": E164, "Body": "STOP"}
    path = "/api/v1/webhooks/twilio/inbound"
    signature = RequestValidator("stop-test-token").compute_signature(settings.PUBLIC_BASE_URL + path, params)
    assert Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200
    assert SmsOptOut.objects.filter(phone=E164).exists()
    assert sms_rows(public_warning(saint_paul.commune)) == []  # nothing more by SMS
    assert Follow.objects.get(user__phone=E164).stopped_at is None  # START brings the warnings back


def test_someone_signed_in_to_the_dashboards_needs_no_code(saint_paul: Town) -> None:
    client = Client()
    client.force_login(saint_paul.mayor)
    assert client.get(START)["Location"] == CHOOSE
    assert client.post(CHOOSE, {}).status_code == 302
    assert Follow.objects.get(user=saint_paul.mayor).channels == ["sms"]
    assert not ConsoleMessage.objects.exists()
