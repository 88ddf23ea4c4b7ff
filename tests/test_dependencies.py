"""Every installed package is pinned, once, at the version installed: requirements.txt for what we use,
constraints.txt for what those bring (a release of a dependency's dependency once broke a clean clone's CI)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("freeze_constraints", ROOT / "scripts" / "freeze_constraints.py")
assert _spec and _spec.loader
freeze = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(freeze)


def test_every_installed_package_is_pinned_at_its_installed_version():
    pins = freeze.pinned_by(ROOT / "requirements.txt") | freeze.pinned_by(ROOT / "constraints.txt")
    unpinned = {name: version for name, version in freeze.installed().items() if pins.get(name) != version}
    assert not unpinned, (f"installed but not pinned at that version: {unpinned} (pinned: "
                          f"{ {name: pins.get(name) for name in unpinned} }); run `make constraints`")


def test_no_package_is_pinned_in_both_files():
    both = freeze.pinned_by(ROOT / "requirements.txt").keys() & freeze.pinned_by(ROOT / "constraints.txt").keys()
    assert not both, f"pinned in requirements.txt and constraints.txt: {sorted(both)}"


def test_the_pins_are_read_with_extras_and_spelling_variants(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text("# comment\npsycopg[binary]==3.3.9\nDjango_Stubs==6.1.2 ; python_version>'3'\nruff>=0.1\n")
    assert freeze.pinned_by(path) == {"psycopg": "3.3.9", "django-stubs": "6.1.2"}
