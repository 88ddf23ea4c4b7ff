"""Seed the statistics benchmark database: real communes, 500 enrolled, 1,000,000 alerts over 5 years.

Alerts go in with PostgreSQL's COPY (about 20 s); re-running keeps what is there when it is complete.
"""

import io
import random
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from communes.importer import import_communes
from communes.models import Commune, CommuneType
from stats.models import OfficialFigure
from stats.official import BURGLARIES
from vigilants.categories import Category

START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=5 * 365)
COLUMNS = ("commune_id", "kind", "category", "title", "description", "address", "occurred_at", "created_at", "status",
           "urgent", "rejection_reason", "confirmations_count", "flagged_terms", "channels", "moderated_at")  # fmt: skip


def bench_communes(count: int, departement: str) -> list[Commune]:
    """Every commune of `departement`, then the most populous others: enrolled on 1 January 2021."""
    if not Commune.objects.exists():
        import_communes()
    own = list(Commune.objects.filter(type=CommuneType.COMMUNE, departement=departement).order_by("insee")[:count])
    others = (Commune.objects.filter(type=CommuneType.COMMUNE, population__isnull=False)
              .exclude(departement=departement).order_by("-population", "insee")[: count - len(own)])  # fmt: skip
    communes = own + list(others)
    Commune.objects.filter(pk__in=[c.pk for c in communes]).update(enrolled=True, enrolled_at=START)
    return communes


def seed_alerts(communes: list[Commune], total: int, rng: random.Random) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM alerts_alert")
        if cursor.fetchone()[0] == total:
            return 0
        cursor.execute("TRUNCATE alerts_alert CASCADE")
        with cursor.connection.cursor().copy(f"COPY alerts_alert ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for start in range(0, total, 50_000):
                copy.write(_rows(communes, min(50_000, total - start), rng))
        cursor.execute("ANALYZE alerts_alert")
    return total


def _rows(communes: list[Commune], count: int, rng: random.Random) -> str:
    categories = list(Category.values)
    out = io.StringIO()
    for _ in range(count):
        occurred = START + SPAN * rng.random()
        created = occurred + timedelta(minutes=rng.randint(1, 600))
        status = rng.choices(["approved", "rejected", "pending"], [85, 10, 5])[0]
        kind = "broadcast" if rng.random() < 0.03 else "report"
        moderated = "\\N" if status == "pending" else (created + timedelta(minutes=rng.randint(2, 240))).isoformat()
        out.write(f"{rng.choice(communes).pk}\t{kind}\t{rng.choice(categories)}\t\tFaits\t\t{occurred.isoformat()}\t"
                  f"{created.isoformat()}\t{status}\tf\t\t0\t[]\t[]\t{moderated}\n")  # fmt: skip
    return out.getvalue()


def seed_official(communes: list[Commune], rng: random.Random) -> None:
    """Commune-level SSMSI burglaries 2016-2024, one in ten withheld."""
    OfficialFigure.objects.filter(indicator_slug=BURGLARIES).delete()
    now = timezone.now()
    OfficialFigure.objects.bulk_create([
        OfficialFigure(level="commune", code=c.insee, year=year, indicator="Cambriolages de logement",
                       indicator_slug=BURGLARIES, unite_de_compte="Infraction", withheld=(withheld := rng.random() < 0.1),
                       count=None if withheld else rng.randint(0, 400), dwellings=(c.population or 1000) // 2,
                       dwellings_year=year, source="bench", imported_at=now)
        for c in communes for year in range(2016, 2025)
    ], batch_size=5000)  # fmt: skip
