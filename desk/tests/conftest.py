"""The desk's pages under every persona: signed in through the session, as the dashboards are."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from conftest import Town

# Personas of the page matrix: Saint-Paul-de-Vence's people, the other commune's mayor, gendarmes, staff.
PERSONAS = ["anon", "resident", "referent", "mayor", "other_mayor", "gendarme_06", "gendarme_08", "staff"]


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class People:
    saint_paul: Town
    charleville: Town
    gendarme_06: User
    gendarme_08: User
    staff: User

    def get(self, persona: str) -> User | None:
        return {
            "anon": None, "resident": self.saint_paul.resident, "referent": self.saint_paul.referent,
            "mayor": self.saint_paul.mayor, "other_mayor": self.charleville.mayor, "gendarme_06": self.gendarme_06,
            "gendarme_08": self.gendarme_08, "staff": self.staff,
        }[persona]  # fmt: skip

    def client(self, persona: str) -> Client:
        return signed_in(self.get(persona))


@pytest.fixture
def people(saint_paul: Town, charleville: Town, gendarme_06: User, gendarme_08: User, staff: User) -> People:
    for town in (saint_paul, charleville):
        town.commune.enrolled = True
        town.commune.save(update_fields=["enrolled"])
    return People(saint_paul, charleville, gendarme_06, gendarme_08, staff)


# What each persona gets on a page of Saint-Paul-de-Vence's desk (anonymous: sent to the sign-in page).
MODERATORS_PAGE: dict[str, int] = {
    "anon": 302, "resident": 403, "referent": 200, "mayor": 200, "other_mayor": 404, "gendarme_06": 403,
    "gendarme_08": 404, "staff": 200,
}  # fmt: skip
MAYORS_PAGE: dict[str, int] = {**MODERATORS_PAGE, "referent": 403}


def expect_statuses(people: People, method: str, path: str, expected: dict[str, int], data: Any = None) -> None:
    """Every persona's answer to one request; a failure names them all."""
    got = {}
    for persona in expected:
        client = people.client(persona)
        answer = client.get(path) if method == "get" else client.post(path, data or {})
        got[persona] = answer.status_code
    assert got == expected, path
