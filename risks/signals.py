"""What the reading of the State's vigilance announces, for whoever must act on it."""

from django.dispatch import Signal

# Sent after commit with `change` (a risks.models.VigilanceChange) when the level over a commune rose to orange
# or red: its mayors and referents are prompted, and red is relayed at once where the commune's policy says so.
vigilance_rose = Signal()
