"""Notification routes, under /api/v1/: Twilio's webhooks (with or without a trailing slash)."""

from vigilants.routes import route

from . import webhooks

urlpatterns = [
    route("webhooks/twilio/status", webhooks.twilio_status, name="twilio-status"),
    route("webhooks/twilio/inbound", webhooks.twilio_inbound, name="twilio-inbound"),
]
