"""The SSMSI's official figures shipped beside the project (../shared/data/ssmsi/), loaded for the demo.

Each file is loaded once: its rows carry its name (`source`), and a file already loaded is skipped, so that a
second `make run` spends no time on it. Without the folder (a machine with the project alone), the demo runs
without official figures and says so.
"""

import os
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from stats.models import OfficialFigure

SUFFIXES = (".csv", ".csv.gz")


def shared_data() -> Path:
    """The shared data folder: VIGILANTS_SHARED_DATA, else `shared/data` beside the project's directory."""
    configured = os.environ.get("VIGILANTS_SHARED_DATA")
    return Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "data"


def shipped_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and path.name.endswith(SUFFIXES))


def load_official_figures(say: Callable[[str], None]) -> list[Path]:
    """Imports the shipped files not loaded yet (manage.py import_ssmsi); returns those it imported."""
    folder = shared_data() / "ssmsi"
    files = shipped_files(folder)
    if not files:
        say(f"Chiffres officiels (SSMSI) : aucun fichier dans {folder}, la démo s'en passe "
            "(VIGILANTS_SHARED_DATA désigne le dossier des données partagées).")  # fmt: skip
        return []
    imported = []
    for path in files:
        if OfficialFigure.objects.filter(source=path.name).exists():
            say(f"Chiffres officiels (SSMSI) : {path.name} déjà chargé.")
            continue
        out = StringIO()
        call_command("import_ssmsi", str(path), stdout=out)
        say(f"Chiffres officiels (SSMSI) : {out.getvalue().strip()}")
        imported.append(path)
    return imported
