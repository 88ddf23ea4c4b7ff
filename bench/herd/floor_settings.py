"""The service's settings with two bench endpoints beside its URLs (floor_urls.py): the stack's own floor."""

from vigilants.settings import *  # noqa: F403

ROOT_URLCONF = "bench.herd.floor_urls"
