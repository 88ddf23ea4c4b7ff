import pytest
from django.apps import apps
from django.db import connection

from accounts.models import AuthToken, OtpCode
from conftest import Town, client_for
from notifications.models import Device
from tests.factories import UserFactory


@pytest.mark.django_db
def test_it_reads_and_updates_the_profile(saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    prefs = {"channels": ["sms"], "categories": ["cambriolage"], "quiet_hours": {"start": "22:00", "end": "07:00"}}
    response = client.patch("/api/v1/me", {"display_name": " Jeanne ", "preferences": prefs})
    assert response.status_code == 200
    saint_paul.resident.refresh_from_db()
    assert saint_paul.resident.display_name == "Jeanne"
    assert saint_paul.resident.preferences == prefs
    partial = client.patch("/api/v1/me", {"preferences": {"quiet_hours": None}}).json()
    assert partial["preferences"] == {**prefs, "quiet_hours": None}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("preferences", "field"),
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"categories": ["meurtre"]}, "categories"),
        ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "quiet_hours"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours"),
    ],
)
def test_it_refuses_bad_preferences_and_keeps_the_old_ones(saint_paul: Town, preferences: dict, field: str) -> None:
    before = dict(saint_paul.resident.preferences)
    response = client_for(saint_paul.resident).patch("/api/v1/me", {"preferences": preferences})
    assert response.status_code == 400
    assert field in response.json()["preferences"]
    saint_paul.resident.refresh_from_db()
    assert saint_paul.resident.preferences == before


@pytest.mark.django_db
def test_the_phone_cannot_be_changed_by_patch(saint_paul: Town) -> None:
    phone = str(saint_paul.resident.phone)
    client_for(saint_paul.resident).patch("/api/v1/me", {"phone": "+33699999998"})
    saint_paul.resident.refresh_from_db()
    assert str(saint_paul.resident.phone) == phone


@pytest.mark.django_db
def test_the_export_holds_everything_about_me(saint_paul: Town) -> None:
    client = client_for(saint_paul.resident)
    client.post("/api/v1/devices", {"fcm_token": "tok-1", "platform": "ios"})
    export = client.get("/api/v1/me/export").json()
    assert export["account"]["phone"] == str(saint_paul.resident.phone)
    assert export["memberships"][0]["commune"] == "06128"
    assert export["devices"][0]["platform"] == "ios"
    assert export["account"]["sessions"]


def all_text_in_database() -> str:
    """Every text-like column of every table, to prove a value is gone."""
    chunks: list[str] = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            columns = [f.column for f in model._meta.concrete_fields
                       if f.column is not None and f.get_internal_type() in {"CharField", "TextField", "JSONField"}]  # fmt: skip
            if columns:
                cursor.execute(f"SELECT {', '.join(columns)} FROM {model._meta.db_table}")  # noqa: S608 - our own names
                chunks.extend(str(row) for row in cursor.fetchall())
    return "\n".join(chunks)


@pytest.mark.django_db
def test_erasure_leaves_no_trace_of_the_phone_number(saint_paul: Town) -> None:
    user = saint_paul.resident
    phone = str(user.phone)
    OtpCode.objects.create(phone=phone, code_hash="x", expires_at=user.date_joined)
    client = client_for(user)
    client.post("/api/v1/devices", {"fcm_token": "tok-erase", "platform": "android"})
    assert phone in all_text_in_database()
    assert client.delete("/api/v1/me").status_code == 204
    assert phone not in all_text_in_database()
    assert not AuthToken.objects.filter(user_id=user.pk).exists()
    assert not Device.objects.filter(fcm_token="tok-erase").exists()
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_reregistering_a_token_moves_it(saint_paul: Town) -> None:
    first = client_for(saint_paul.resident).post("/api/v1/devices", {"fcm_token": "shared", "platform": "android"})
    assert first.status_code == 201
    second = client_for(saint_paul.resident2).post("/api/v1/devices", {"fcm_token": "shared", "platform": "android"})
    assert second.status_code == 200
    assert Device.objects.get(fcm_token="shared").user == saint_paul.resident2
    assert "fcm_token" not in second.json()


@pytest.mark.django_db
def test_a_device_is_deleted_only_by_its_owner(saint_paul: Town) -> None:
    device_id = client_for(saint_paul.resident).post("/api/v1/devices", {"fcm_token": "t", "platform": "ios"}).json()["id"]
    assert client_for(saint_paul.resident2).delete(f"/api/v1/devices/{device_id}").status_code == 404
    assert client_for(saint_paul.resident).delete(f"/api/v1/devices/{device_id}/").status_code == 204
    assert not Device.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"fcm_token": "", "platform": "ios"}, {"fcm_token": "x", "platform": "nokia"}, {}])
def test_it_refuses_bad_device_registrations(saint_paul: Town, body: dict) -> None:
    assert client_for(saint_paul.resident).post("/api/v1/devices", body).status_code == 400


@pytest.mark.parametrize("preferences", [
    {"channels": ["push"]}, {"channels": ["sms"], "categories": ["vol"], "quiet_hours": {"start": "22:00", "end": "07:00"}},
    {"channels": [], "categories": None, "quiet_hours": None, "unknown": 1},
])  # fmt: skip
def test_get_me_answers_what_the_serializer_gives(db: None, preferences: dict) -> None:
    from accounts.serializers import MeSerializer

    first = UserFactory.create(display_name="Élise", preferences=preferences)
    second = UserFactory.create(display_name="", preferences={"channels": ["sms"]})
    for user in (first, second, first):  # one shared serializer: no state left from one user to the next
        # Plus what the apps above add (communes: the territories one operates, none here).
        assert client_for(user).get("/api/v1/me").json() == {**MeSerializer(user).data, "territories": []}
