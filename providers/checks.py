"""Provider misconfiguration is reported at start-up (manage.py check, runserver, migrate), not at the first SMS."""

import json
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register("providers")
def check_providers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return _twilio_errors() + _fcm_errors()


def _twilio_errors() -> list[CheckMessage]:
    if settings.SMS_BACKENDS["twilio"] != settings.SMS_BACKEND:
        return []
    errors: list[CheckMessage] = []
    if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
        errors.append(Error(
            "SMS_BACKEND is twilio but TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is empty.",
            hint="Set both, or SMS_BACKEND=console.", id="providers.E001",
        ))
    if not settings.TWILIO_FROM and not settings.TWILIO_MESSAGING_SERVICE_SID:
        errors.append(Error(
            "SMS_BACKEND is twilio but neither TWILIO_FROM nor TWILIO_MESSAGING_SERVICE_SID is set.",
            hint="Set the sender number (E.164) or a messaging service SID (MG...).", id="providers.E002",
        ))
    return errors


def _fcm_errors() -> list[CheckMessage]:
    if settings.PUSH_BACKENDS["fcm"] != settings.PUSH_BACKEND:
        return []
    path = settings.FIREBASE_CREDENTIALS
    if not path:
        return [Error("PUSH_BACKEND is fcm but FIREBASE_CREDENTIALS is empty.",
                      hint="The path of a service-account JSON file.", id="providers.E003")]
    problem = _service_account_problem(path)
    if problem:
        return [Error(f"FIREBASE_CREDENTIALS ({path}) {problem}.",
                      hint="Download a service-account key from the Firebase console.", id="providers.E004")]
    return []


def _service_account_problem(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
    except OSError as error:
        return f"cannot be read: {error.strerror}"
    except ValueError:
        return "is not JSON"
    if not isinstance(info, dict) or info.get("type") != "service_account":
        return 'is not a service-account file (no "type": "service_account")'
    missing = [k for k in ("project_id", "private_key", "client_email", "token_uri") if not info.get(k)]
    return f"lacks {', '.join(missing)}" if missing else ""
