"""What the alerts app announces to the apps above it, which it may not import (pyproject.toml's layers)."""

from django.dispatch import Signal

# Sent with `commune_id`, inside the writer's transaction, when what a commune's statistics show may have
# changed: a report filed (moderation's pending count), approved or rejected, followed up (a new message).
# The statistics' cache (stats/cache.py) listens.
alerts_changed = Signal()
