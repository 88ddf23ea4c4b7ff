"""Notification routes, under /api/v1/: push registrations, landlines and Twilio's webhooks (with or without a trailing
slash)."""

from vigilants.routes import route

from . import devices, landline_views, voice, webhooks

# Also served outside /api/v1/ (vigilants/urls.py), as the contract's Webhooks section writes them.
webhook_urlpatterns = [
    route("webhooks/twilio/status", webhooks.twilio_status, name="twilio-status"),
    route("webhooks/twilio/inbound", webhooks.twilio_inbound, name="twilio-inbound"),
    route("webhooks/twilio/voice/status", voice.voice_status, name="twilio-voice-status"),
    route("webhooks/twilio/voice/gather", voice.voice_gather, name="twilio-voice-gather"),
]

urlpatterns = [
    route("devices", devices.DeviceList.as_view(), name="device-list"),
    route("devices/<int:pk>", devices.DeviceDetail.as_view(), name="device-detail"),
    route("me/landline", landline_views.MyLandline.as_view(), name="my-landline"),
    route("me/landline/verify", landline_views.MyLandlineVerify.as_view(), name="my-landline-verify"),
    route("communes/<insee:insee>/landline-residents", landline_views.CommuneLandlineResidents.as_view(),
          name="landline-residents"),
    *webhook_urlpatterns,
]
