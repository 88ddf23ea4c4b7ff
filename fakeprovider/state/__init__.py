"""A fake of the State's vigilance sources (Vigicrues, MeteoAlarm's France feed) on loopback, in their wire
formats, serving the samples in samples/ (provenance: samples/README.md). Test tooling like the rest of
fakeprovider: it imports nothing of the service. `python -m fakeprovider.state --port 8766` (`--help`)."""

from .server import FakeState

__all__ = ["FakeState"]
