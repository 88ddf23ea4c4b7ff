"""Fixtures of the fault tests: one PostgreSQL template per session, one whole service stack per test.

Each test prints its figures at once (outside pytest's capture) and again in a "fault tests" section of
the summary. The temporary directory (processes' logs) is kept, and named, when a test failed.
"""

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from .harness import PG_BIN, Stack, build_template

MEMBERS = 60
LINES: list[str] = []
FAILED: list[str] = []


def _missing_tools() -> list[str]:
    needed = {"redis-server": shutil.which("redis-server"), str(PG_BIN / "initdb"): (PG_BIN / "initdb").exists()}
    if os.geteuid() == 0:
        needed["runuser"] = shutil.which("runuser")
    return [name for name, found in needed.items() if not found]


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="session")
def faults_home() -> Iterator[Path]:
    missing = _missing_tools()
    if missing:
        # Never skipped: scripts/run_tests.py leaves the `faults` marker out (and says so) when these are
        # missing outside CI, and fails the run in CI; run here, they are missing by mistake.
        pytest.fail(f"fault tests need {', '.join(missing)} (PG_BIN names PostgreSQL's binaries)")
    home = Path(tempfile.mkdtemp(prefix="vigilants-faults-"))
    home.chmod(0o755)  # the postgres user must reach its clusters inside
    yield home
    if FAILED:
        LINES.append(f"logs of the failed tests kept in {home}")
    else:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(faults_home: Path) -> Path:
    started = time.monotonic()
    template = build_template(faults_home / "template")
    LINES.append(f"PostgreSQL template (initdb, createdb, migrate): {time.monotonic() - started:.1f} s")
    return template


@pytest.fixture
def report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[str], None]]:
    """Print a figure now, past pytest's capture, and keep it for the summary."""
    name, started = request.node.name, time.monotonic()

    def emit(line: str) -> None:
        LINES.append(f"{name}: {line}")
        with capsys.disabled():
            print(f"\n[faults] {name}: {line}", flush=True)

    yield emit
    emit(f"test took {time.monotonic() - started:.1f} s")


@pytest.fixture
def stack(request: pytest.FixtureRequest, faults_home: Path, pg_template: Path) -> Iterator[Stack]:
    """A fresh service: its own cluster (a copy of the template), Redis, fake provider, the mayor and 59 members."""
    home = faults_home / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    booted = Stack.boot(home, pg_template, MEMBERS)
    try:
        yield booted
    finally:
        booted.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and "faults" in item.nodeid:
        FAILED.append(item.nodeid)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if LINES:
        terminalreporter.section("fault tests")
        for line in LINES:
            terminalreporter.write_line(line)
