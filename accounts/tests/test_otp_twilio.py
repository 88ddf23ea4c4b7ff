"""Sign-in codes through the real Twilio SDK against the fake provider: provider faults never give a 500."""

import pytest
from rest_framework.test import APIClient

from accounts.models import OtpCode
from fakeprovider import FakeProvider


@pytest.mark.django_db
def test_it_sends_the_code_through_twilio(twilio_settings, fake_provider: FakeProvider, anon: APIClient) -> None:
    assert anon.post("/api/v1/auth/otp/request", {"phone": "06 12 34 56 78"}).status_code == 202
    sms = fake_provider.sms()
    assert [m["To"] for m in sms] == ["+33612345678"]
    assert "code de connexion" in sms[0]["Body"]


@pytest.mark.django_db
def test_a_provider_outage_is_a_503_with_retry_after(twilio_settings, fake_provider: FakeProvider, anon: APIClient) -> None:
    response = anon.post("/api/v1/auth/otp/request", {"phone": "+33600099500"})
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert not OtpCode.objects.exists()  # no code left that nobody received


@pytest.mark.django_db
def test_a_number_twilio_calls_invalid_is_a_400(twilio_settings, fake_provider: FakeProvider, anon: APIClient) -> None:
    response = anon.post("/api/v1/auth/otp/request", {"phone": "+33600099211"})
    assert response.status_code == 400
    assert "phone" in response.json()
