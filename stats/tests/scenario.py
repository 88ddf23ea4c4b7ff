"""A hand-counted scenario in Saint-Paul-de-Vence (3,500 inhabitants, enrolled 15 March 2024).

Approved reports, by Paris month:
- 2024-11: cambriolage (the year before)            - 2025-01: vol (the year before)
- 2025-11: cambriolage ×2, vol                       - 2025-12: nothing
- 2026-01: vehicule_suspect (31 Jan 23:30 Paris)     - 2026-02: tentative_cambriolage (31 Jan 23:30 UTC)
Not counted: a pending and a rejected cambriolage, a broadcast (January 2026), and Charleville's alerts.
Official SSMSI burglaries (commune level, 1,500 dwellings): 2021: 10, 2022: 14, 2023: withheld, 2025: 8;
département 06 only for 2020: 30,000.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from alerts.models import Alert
from communes.models import Commune
from conftest import Town
from stats.models import OfficialFigure
from stats.official import BURGLARIES


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def alert(commune: Commune, category: str, occurred_at: datetime, status: str = "approved", kind: str = "report") -> Alert:
    return Alert.objects.create(commune=commune, category=category, description="Faits constatés", status=status,
                                kind=kind, occurred_at=occurred_at)  # fmt: skip


def official(level: str, code: str, year: int, count: int | None, dwellings: int | None = None) -> OfficialFigure:
    return OfficialFigure.objects.create(
        level=level, code=code, year=year, indicator="Cambriolages de logement", indicator_slug=BURGLARIES,
        unite_de_compte="Infraction", count=count, withheld=count is None,
        rate_per_thousand=None if count is None or not dwellings else Decimal(count * 1000) / dwellings,
        complement_count=Decimal("2.5") if count is None else None, dwellings=dwellings,
        dwellings_year=year if dwellings else None, source="test.csv", imported_at=timezone.now(),
    )  # fmt: skip


def build(town: Town, other: Town) -> None:
    commune = town.commune
    Commune.objects.filter(pk=commune.pk).update(population=3500, enrolled_at=utc(2024, 3, 15, 9))
    commune.refresh_from_db()
    alert(commune, "cambriolage", utc(2024, 11, 15, 10))
    alert(commune, "vol", utc(2025, 1, 5, 10))
    alert(commune, "cambriolage", utc(2025, 11, 10, 12))
    alert(commune, "cambriolage", utc(2025, 11, 20, 12))
    alert(commune, "vol", utc(2025, 11, 21, 8))
    alert(commune, "vehicule_suspect", utc(2026, 1, 31, 22, 30))  # 23:30 in Paris: still January
    alert(commune, "tentative_cambriolage", utc(2026, 1, 31, 23, 30))  # 00:30 on 1 February in Paris
    alert(commune, "cambriolage", utc(2026, 1, 10, 12), status="pending")
    alert(commune, "cambriolage", utc(2026, 1, 11, 12), status="rejected")
    alert(commune, "autre", utc(2026, 1, 12, 12), kind="broadcast")
    alert(other.commune, "cambriolage", utc(2025, 11, 15, 12))
    for year, count in [(2021, 10), (2022, 14), (2023, None), (2025, 8)]:
        official("commune", "06128", year, count, dwellings=1500)
    official("departement", "06", 2020, 30000)
