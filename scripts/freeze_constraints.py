"""Writes constraints.txt: the version of every package installed in the virtualenv that requirements.txt does not
pin itself (the dependencies of our dependencies), so that a fresh clone installs what CI last tested, not whatever
was published since. Run by `make constraints` after changing requirements.txt."""

import importlib.metadata
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ("# The dependencies of requirements.txt's packages, pinned: written by `make constraints` (scripts/"
          "freeze_constraints.py)\n# after a change to requirements.txt; `make venv` installs with -c constraints.txt.\n")
INSTALLER = {"pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_by(path: Path) -> dict[str, str]:
    """name -> version of each `name==version` (extras dropped) line of a requirements or constraints file."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def installed() -> dict[str, str]:
    found = {canonical(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()}
    return {name: version for name, version in found.items() if name not in INSTALLER}


def main() -> int:
    direct = pinned_by(ROOT / "requirements.txt")
    transitive = {name: version for name, version in installed().items() if name not in direct}
    lines = [f"{name}=={version}" for name, version in sorted(transitive.items())]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(lines) + "\n")
    print(f"constraints.txt: {len(lines)} packages pinned beside requirements.txt's {len(direct)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
