"""The demo's commune as the communes import has it, a fixed day to build its year on, and the command."""

import io
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from communes.models import Commune
from demo.official import shared_data
from demo.timeline import PARIS
from stats import cache
from tests.factories import CommuneFactory

# A Wednesday afternoon in the middle of a month: every month of the last twelve is a whole one but the current.
NOW = datetime(2026, 11, 18, 16, 0, tzinfo=PARIS)


@pytest.fixture
def saint_paul_de_vence(db: None) -> Commune:
    """06128 as communes/data/communes-fr.csv.gz has it, not enrolled yet."""
    return CommuneFactory.create(
        insee="06128", name="Saint-Paul-de-Vence", departement="06", departement_name="Alpes-Maritimes",
        population=3477, latitude=43.69687, longitude=7.12212, bbox_south=43.67332, bbox_west=7.09568,
        bbox_north=43.71234, bbox_east=7.14361, postal_codes="06570", enrolled=False, enrolled_at=None,
        epci_siren="240600585", epci_name="Communauté d'agglomération de Sophia Antipolis",
    )  # fmt: skip


@pytest.fixture
def demo_day() -> Iterator[None]:
    with time_machine.travel(NOW):
        yield


@pytest.fixture
def no_shared_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A machine with the project alone: no official figures to load (and the tests that need none stay quick)."""
    monkeypatch.setenv("VIGILANTS_SHARED_DATA", str(tmp_path))
    return tmp_path


@pytest.fixture
def shipped_ssmsi(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real SSMSI files of the shared data folder: missing, the test fails under CI and is skipped elsewhere."""
    folder = shared_data() / "ssmsi"
    if not any(folder.glob("*.csv*")):
        message = f"{folder} absent: set VIGILANTS_SHARED_DATA to the shared data folder"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("VIGILANTS_SHARED_DATA", str(folder.parent))
    return folder


@pytest.fixture
def shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without REDIS_URL the cache is one process's memory, which stands in for Redis within one test."""
    if not cache._shared():
        monkeypatch.setattr(cache, "_shared", lambda: True)


@pytest.fixture
def seed(settings: Any) -> Callable[[], str]:
    """Runs `manage.py seed_demo` under DEBUG and returns what it printed."""
    settings.DEBUG = True

    def run() -> str:
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    return run
