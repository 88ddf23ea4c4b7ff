"""The project's settings, with a bare DRF endpoint added beside its URLs (bare_urls.py)."""

from vigilants.settings import *  # noqa: F403

ROOT_URLCONF = "bench.communes.bare_urls"
