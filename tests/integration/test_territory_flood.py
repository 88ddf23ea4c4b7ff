"""The territory issue's check, with a real worker, Redis, PostgreSQL and the SDKs against the fake provider:

an intercommunality's operator enrols three communes through the API (naming each one's first mayor), sends one
flood warning to all three; a person following two of them gets it once per channel; each mayor is told first
and sees it in their commune's list; the public balance (page, CSV, JSON) carries the statistics API's numbers.
"""

import csv
import io
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from communes.models import Commune, Follow, Membership, TerritoryKind, TerritoryOperator
from conftest import client_for
from fakeprovider import FakeProvider
from notifications import sweeper
from notifications.models import Device, Message
from tests.factories import CommuneFactory

from .conftest import wait_until
from .fanout import all_final, planned

pytestmark = pytest.mark.integration
SIREN = "200039915"
INSEE = ["71076", "71270", "71306"]  # three communes along a river, one intercommunality


@pytest.fixture
def worker(provider_env: FakeProvider, celery_worker: subprocess.Popen) -> subprocess.Popen:
    return celery_worker


def person(n: int, channels: list[str]) -> User:
    user = User.objects.create(phone=f"+336140{n:05d}", preferences={"channels": channels, "categories": None,
                                                                      "quiet_hours": None})  # fmt: skip
    Device.objects.create(user=user, fcm_token=token(user), platform="android")
    return user


def token(user: User) -> str:
    return f"tok-{user.pk}-{'t' * 40}"


def all_done() -> bool:
    sweeper.sweep()  # as beat does: what a loaded machine's broker refused is published again
    return all(planned(m) and all_final(m) for m in Message.objects.all())


def enrol(operator: Any, insee: str, mayor_phone: str) -> User:
    answer = operator.post(f"/api/v1/territories/epci/{SIREN}/communes",
                           {"insee": insee, "mayor_phone": mayor_phone, "mayor_name": f"Maire {insee}"}, format="json")
    assert answer.status_code == 201, answer.content
    mayor = User.objects.get(phone=mayor_phone.replace("06", "+336", 1))
    Device.objects.create(user=mayor, fcm_token=token(mayor), platform="android")
    return mayor


def test_an_operator_warns_three_communes_once(worker: subprocess.Popen, provider_env: FakeProvider,
                                               settings: Any) -> None:  # fmt: skip
    settings.BALANCE_MIN_COUNT = 1  # a handful of people: the balance withholds nothing, so every number compares
    communes = [CommuneFactory.create(insee=code, name=f"Commune {code}", departement="71", epci_siren=SIREN,
                                      epci_name="CC du Val de Loire", population=2000) for code in INSEE]  # fmt: skip
    operator_user = User.objects.create(phone="+33614099999", display_name="Communauté de communes")
    TerritoryOperator.objects.create(user=operator_user, kind=TerritoryKind.EPCI, code=SIREN)
    operator = client_for(operator_user)
    mayors = [enrol(operator, code, f"061410000{i}") for i, code in enumerate(INSEE)]
    assert Commune.objects.filter(insee__in=INSEE, enrolled=True).count() == 3

    members = [person(10 + i, ["push"]) for i in range(3)]
    for user, commune in zip(members, communes, strict=True):
        Membership.objects.create(user=user, commune=commune, status="approved", address="Quai de Loire")
    fan = person(20, ["push", "sms"])  # follows two of the three communes, member of none
    for commune in communes[:2]:
        Follow.objects.create(user=fan, commune=commune)

    sent = operator.post("/api/v1/warnings", {
        "hazard": "flood", "level": "orange", "title": "Crue de la Loire", "description": "La Loire monte.",
        "expires_at": (timezone.now() + timedelta(hours=12)).isoformat(), "communes": INSEE}, format="json")  # fmt: skip
    assert sent.status_code == 201, sent.content
    wait_until(all_done, timeout=90, interval=0.5)

    shown = provider_env.shown()
    assert shown["push"][token(fan)]["received"] == 1  # once, though it follows two of the communes
    assert shown["sms"][str(fan.phone)]["received"] == 1
    assert all(shown["push"][token(u)]["received"] == 1 for u in members)
    for mayor, code in zip(mayors, INSEE, strict=True):
        assert shown["push"][token(mayor)]["received"] == 2  # told first (their own notice), then the warning
        listed = client_for(mayor).get(f"/api/v1/communes/{code}/warnings").json()
        rows = listed["results"] if isinstance(listed, dict) else listed
        assert [row["title"] for row in rows] == ["Crue de la Loire"] and rows[0]["group"] is not None
    notices = Message.objects.filter(roles__isnull=False).order_by("created_at")
    public = Message.objects.get(commune_ids__isnull=False)
    assert len(notices) == 3 and all(n.created_at <= public.created_at for n in notices)

    year = timezone.localdate().year
    for mayor, code in zip(mayors, INSEE, strict=True):
        api = client_for(mayor).get(f"/api/v1/stats/communes/{code}?from={year}-01-01&to={year}-12-31").json()
        balance = Client().get(f"/bilan/{code}/{year}.json")
        assert balance.status_code == 200, balance.content
        data = balance.json()
        assert data["people"]["members"] == api["deliveries"]["members"]
        assert {k: v for k, v in data["moderation"].items() if k != "received"} == api["moderation"]
        rows = {row[4]: row[5] for row in csv.reader(io.StringIO(Client().get(f"/bilan/{code}/{year}.csv").content
                                                                 .decode()), delimiter=";")}  # fmt: skip
        assert rows["people.members"] == str(api["deliveries"]["members"])
        assert rows["moderation.approved"] == str(api["moderation"]["approved"])
        page = Client().get(f"/bilan/{code}/{year}/").content.decode()
        assert page.split('data-figure="people.members"')[1].split("</tr>")[0].endswith(
            f"<td>{api['deliveries']['members']}</td>")
    whole = Client().get(f"/bilan/epci/{SIREN}/{year}.json").json()
    assert whole["warnings"]["messages"] == 1 and whole["warnings"]["recipients"] == 3 + 3 + 1
