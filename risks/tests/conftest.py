"""Fixtures of the risks app's tests: warnings in Saint-Paul-de-Vence, the fake State sources over HTTP."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import Town
from fakeprovider.state import FakeState
from risks.cap_parse import CapAlert, CapInfo
from risks.models import LEVEL_CAP, AreaKind, Hazard, Level, MessageType, RiskWarning


@pytest.fixture(scope="session")
def fake_state_server() -> Iterator[FakeState]:
    fake = FakeState()
    fake.slow_seconds = 1.5
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_state(fake_state_server: FakeState, settings: Any) -> Iterator[FakeState]:
    """The fake, back to its samples, and the reader pointed at it only (short timeouts)."""
    fake_state_server.reset()
    settings.VIGICRUES_URL = fake_state_server.vigicrues_url
    settings.METEOALARM_FEED_URL = ""
    settings.CAP_FEED_URLS = []
    settings.VIGILANCE_TIMEOUT_SECONDS = 0.5
    yield fake_state_server
    fake_state_server.reset()


def make_warning(town: Town, **fields: Any) -> RiskWarning:
    level = fields.pop("level", Level.ORANGE)
    severity, urgency, certainty = LEVEL_CAP[level]
    values: dict[str, Any] = {
        "commune": town.commune, "hazard": Hazard.FLOOD, "level": level, "severity": severity, "urgency": urgency,
        "certainty": certainty, "title": "Crue de la Cagne", "description": "La Cagne déborde au pont du Loup.",
        "instruction": "Ne traversez pas les zones inondées.", "expires_at": timezone.now() + timedelta(hours=12),
        "issued_by": town.mayor,
    }  # fmt: skip
    values.update(fields)
    return RiskWarning.objects.create(**values)


def thread_of(town: Town) -> tuple[RiskWarning, RiskWarning, RiskWarning]:
    """An Alert, its Update (red), and its Cancel."""
    alert = make_warning(town)
    update = make_warning(town, msg_type=MessageType.UPDATE, thread=alert, references=alert, level=Level.RED,
                          title="Crue de la Cagne : vigilance rouge")  # fmt: skip
    cancel = make_warning(town, msg_type=MessageType.CANCEL, thread=alert, references=update, level=Level.RED,
                          title="Fin de l'avis de crue")  # fmt: skip
    return alert, update, cancel


def info_of(alert: CapAlert, language: str = "fr") -> CapInfo:
    info = alert.info(language)
    assert info is not None, "no info block"
    return info


__all__ = ["AreaKind", "info_of", "make_warning", "thread_of"]


def post_created(client: Any, path: str, data: dict[str, Any], capture: Any) -> dict[str, Any]:
    """POST `data` as JSON, its on-commit work run (`capture`: django_capture_on_commit_callbacks), a 201's body."""
    with capture(execute=True):
        answer = client.post(path, data, format="json")
    assert answer.status_code == 201, answer.content
    return dict(answer.json())
