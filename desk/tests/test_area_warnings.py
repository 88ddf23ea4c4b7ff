"""The desk's warning over several communes: who opens the form, the checkboxes offered, a radius, the preview
(nothing written), sending once, the group's page and its end, and how each commune's Risques page shows it."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from conftest import Town, make_town
from desk.risks_form import local_input
from desk.tests.conftest import People, expect_statuses, signed_in
from notifications.models import Message
from risks.models import AreaWarning, MessageType, RiskWarning

pytestmark = pytest.mark.django_db

NEW = "/desk/area-warnings/new/"



def form(**changes: Any) -> dict[str, Any]:
    return {"mode": "list", "communes": ["06128", "06157"], "hazard": "flood", "level": "orange",
            "title": "Crue du Loup", "description": "Le Loup déborde.", "instruction": "Restez chez vous.",
            "expires_at": local_input(timezone.now() + timedelta(hours=6)), **changes}  # fmt: skip


def draft_of(answer: Any) -> str:
    found = re.search(r'name="draft" value="([0-9a-f]{32})"', answer.content.decode())
    assert found, "no draft token in the preview"
    return found.group(1)


def nothing_written() -> bool:
    return not (AreaWarning.objects.exists() or RiskWarning.objects.exists() or Message.objects.exists())


def test_who_opens_the_form(people: People, vence: Town, operator_06: User) -> None:
    expect_statuses(people, "get", NEW, {"anon": 302, "resident": 403, "referent": 403, "mayor": 200,
                                         "other_mayor": 200, "gendarme_06": 403, "gendarme_08": 403, "staff": 200})  # fmt: skip
    page = signed_in(operator_06).get(NEW)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="06128"' in body and 'value="06157"' in body and 'value="08105"' not in body
    mayor_page = people.client("mayor").get(NEW).content.decode()
    assert 'value="06128"' in mayor_page and 'value="06157"' not in mayor_page  # Vence has not agreed


def test_preview_then_send_once(people: People, vence: Town, operator_06: User) -> None:
    client = signed_in(operator_06)
    preview = client.post(NEW, {**form(), "step": "preview"})
    assert preview.status_code == 200 and nothing_written()
    body = preview.content.decode()
    assert "Saint-Paul-de-Vence (06128)" in body and "Vence (06157)" in body
    assert "Cet avis atteindra 8 personnes." in body  # 2 × (mayor, referent, two residents)
    token = draft_of(preview)
    sent = client.post(NEW, {**form(), "step": "send", "draft": token})
    group = AreaWarning.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/desk/area-warnings/{group.pk}/"
    assert RiskWarning.objects.filter(group=group).count() == 2
    again = client.post(NEW, {**form(), "step": "send", "draft": token})
    assert again.status_code == 302 and AreaWarning.objects.count() == 1  # a double click sends nothing twice
    page = client.get(f"/desk/area-warnings/{group.pk}/")
    assert page.status_code == 200 and group.sender in page.content.decode()
    # Each commune's Risques page lists it, marked as the territory's; its thread points to the group.
    listed = people.client("mayor").get("/desk/communes/06128/risks/").content.decode()
    assert f"émis par {group.sender} pour plusieurs communes" in listed
    row = RiskWarning.objects.get(group=group, commune=people.saint_paul.commune)
    thread = people.client("mayor").get(f"/desk/communes/06128/risks/{row.pk}/").content.decode()
    assert f"/desk/area-warnings/{group.pk}/" in thread and "/update/" not in thread
    # Vence's rows carry no message of their own: its list shows the one message's figures all the same.
    vence_list = signed_in(vence.mayor).get("/desk/communes/06157/risks/").content.decode()
    assert "Crue du Loup" in vence_list and "Aucun envoi enregistré." not in vence_list


def test_a_radius(people: People, vence: Town, operator_06: User) -> None:
    data = form(mode="radius", communes=[], center_latitude="43.69687", center_longitude="7.12212", radius_km="3")
    preview = signed_in(operator_06).post(NEW, {**data, "step": "preview"})
    assert preview.status_code == 200
    assert "Saint-Paul-de-Vence (06128)" in preview.content.decode() and "Vence (06157)" in preview.content.decode()
    far = signed_in(operator_06).post(NEW, {**data, "center_latitude": "49.77", "center_longitude": "4.72",
                                            "step": "preview"})  # fmt: skip
    assert far.status_code == 400 and "Aucune commune inscrite" in far.content.decode()


@pytest.mark.parametrize("changes, error", [
    ({"title": ""}, "title"),
    ({"communes": []}, "communes"),
    ({"communes": ["99999"]}, "communes"),
    ({"expires_at": "2001-01-01T00:00"}, "expires_at"),
    ({"mode": "radius", "communes": [], "radius_km": "80", "center_latitude": "43.7", "center_longitude": "7.1"},
     "radius_km"),
])  # fmt: skip
def test_bad_input_answers_400_and_writes_nothing(people: People, vence: Town, operator_06: User,
                                                  changes: dict[str, Any], error: str) -> None:  # fmt: skip
    answer = signed_in(operator_06).post(NEW, {**form(**changes), "step": "send", "draft": "a" * 32})
    assert answer.status_code == 400 and 'class="field__error"' in answer.content.decode()
    assert nothing_written()


def test_a_forged_commune_is_refused(people: People, vence: Town, operator_06: User) -> None:
    answer = signed_in(operator_06).post(NEW, {**form(communes=["06128", "08105"]), "step": "preview"})
    assert answer.status_code == 403 and nothing_written()
    mayor = people.client("mayor").post(NEW, {**form(), "step": "preview"})  # Vence never agreed
    assert mayor.status_code == 403


def test_the_group_is_ended_from_its_page(people: People, vence: Town, operator_06: User) -> None:
    client: Client = signed_in(operator_06)
    client.post(NEW, {**form(), "step": "send", "draft": draft_of(client.post(NEW, {**form(), "step": "preview"}))})
    group = AreaWarning.objects.get()
    end = f"/desk/area-warnings/{group.pk}/end/"
    assert client.post(end, {"text": ""}).status_code == 400
    assert people.client("mayor").post(end, {"text": "Décrue."}).status_code == 403  # not every commune is his
    assert people.client("other_mayor").get(f"/desk/area-warnings/{group.pk}/").status_code == 403
    assert client.post(end, {"text": "Décrue."}).status_code == 302
    assert {r.msg_type for r in RiskWarning.objects.filter(group=group, msg_type=MessageType.CANCEL)} == {"Cancel"}
    assert AuditEntry.objects.filter(action="warning.ended").count() == 2
    assert client.post(end, {"text": "Encore."}).status_code == 409


def test_the_group_is_updated_from_its_page(people: People, vence: Town, operator_06: User) -> None:
    client: Client = signed_in(operator_06)
    client.post(NEW, {**form(), "step": "send", "draft": draft_of(client.post(NEW, {**form(), "step": "preview"}))})
    group = AreaWarning.objects.get()
    update = f"/desk/area-warnings/{group.pk}/update/"
    until = local_input(timezone.now() + timedelta(hours=10))
    assert client.post(update, {"level": "violet", "description": "x", "expires_at": until}).status_code == 400
    assert client.post(update, {"level": "red", "description": "Le pont est fermé.",
                                "expires_at": "2001-01-01T00:00"}).status_code == 400  # fmt: skip
    assert RiskWarning.objects.filter(msg_type=MessageType.UPDATE).count() == 0
    assert people.client("mayor").post(update, {"level": "red"}).status_code == 403
    done = client.post(update, {"level": "red", "description": "Le pont est fermé.", "expires_at": until})
    assert done.status_code == 302
    rows = RiskWarning.objects.filter(group=group, msg_type=MessageType.UPDATE)
    assert {(r.level, r.description, r.title) for r in rows} == {("red", "Le pont est fermé.", "Crue du Loup")}
    assert rows.count() == 2


def test_the_groups_page_costs_the_same_queries_for_more_communes(people: People, vence: Town,
                                                                  operator_06: User) -> None:  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client: Client = signed_in(operator_06)

    def page_queries(codes: list[str]) -> int:
        sent = {**form(communes=codes), "step": "send"}
        client.post(NEW, {**sent, "draft": draft_of(client.post(NEW, {**form(communes=codes), "step": "preview"}))})
        group = AreaWarning.objects.latest("pk")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/desk/area-warnings/{group.pk}/").status_code == 200
        return len(queries)

    two = page_queries(["06128", "06157"])
    make_town("06161", "Villeneuve-Loubet", "06")
    make_town("06088", "Nice", "06")
    assert page_queries(["06128", "06157", "06161", "06088"]) == two
