"""Every setting read from the environment is declared in the settings module and documented in the README's
configuration table; no module reads a setting that is not declared there."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["vigilants", "providers", "continuity", "accounts", "audit", "communes", "notifications", "alerts", "stats",
        "security", "demo", "desk", "risks"]  # fmt: skip


def test_every_environment_variable_is_in_the_readme_table() -> None:
    settings_source = (ROOT / "vigilants" / "settings.py").read_text()
    variables = set(re.findall(r'env\.\w+\("([A-Z_]+)"', settings_source))
    readme = (ROOT / "README.md").read_text()
    table_rows = [line for line in readme.splitlines() if line.startswith("| `")]
    documented = {name for row in table_rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}
    assert variables, "no environment variable found: the pattern no longer matches settings.py"
    assert sorted(variables - documented) == []


def test_no_module_reads_a_setting_with_a_fallback() -> None:
    # getattr(settings, "X", default) hides a setting that was never declared, and its default from the README.
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "getattr(settings" in line
    ]
    assert offenders == []
