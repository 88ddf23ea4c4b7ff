"""Seed the territory benchmark: the real communes of one département, enrolled, and N people spread over them by
population, each a member of their commune with a push device, a share also choosing SMS, a share following one or
two neighbouring communes as well.

The people are bench/fanout's (its numbers, which never end like the fake provider's fault numbers, its token form
and its clean-up), and bench/followers' clean-up of follows: both imported, the run puts them on the path.
"""

import csv
import gzip
import math
import tempfile
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from followers_seed import _forget_bench_people  # bench/followers/followers_seed.py
from seed import CHUNK, phone  # bench/fanout/seed.py

NEIGHBOURS = 2  # a follower follows one or two of the nearest communes besides their own


def towns_of(departement: str, count: int) -> list[object]:
    """The département's `count` most populous communes (type COM), loaded from the shipped reference data if
    missing, and enrolled."""
    from communes.models import Commune

    towns = list(Commune.objects.filter(departement=departement, type="COM").order_by("-population", "insee")[:count])
    if len(towns) < count:
        _import_departement(departement)
        towns = list(Commune.objects.filter(departement=departement, type="COM").order_by("-population", "insee")[:count])
    if len(towns) < count:
        raise SystemExit(f"the département {departement} has {len(towns)} communes, fewer than --communes {count}")
    Commune.objects.filter(pk__in=[t.pk for t in towns], enrolled=False).update(enrolled=True, enrolled_at=timezone.now())
    return towns


def _import_departement(departement: str) -> None:
    """The département's rows of the shipped file, through the service's own importer."""
    from communes.importer import DEFAULT_PATH, import_communes, open_text

    with open_text(DEFAULT_PATH) as source, tempfile.TemporaryDirectory() as folder:
        reader = csv.DictReader(source)
        path = Path(folder) / "departement.csv.gz"
        with gzip.open(path, "wt", encoding="utf-8", newline="") as target:
            writer = csv.DictWriter(target, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            writer.writerows(row for row in reader if row["departement_code"] == departement)
        import_communes(path)


def spread(people: int, populations: list[int]) -> list[int]:
    """People per commune in proportion to its population (largest remainder), at least one each."""
    weights = [max(p, 1) for p in populations]
    total = sum(weights)
    exact = [people * w / total for w in weights]
    shares = [max(1, math.floor(x)) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
    for i in by_remainder[: max(0, people - sum(shares))]:
        shares[i] += 1
    while sum(shares) > people:  # the minimum of one can overshoot: take back from the largest
        shares[shares.index(max(shares))] -= 1
    return shares


def homes(shares: list[int]) -> list[int]:
    """The index of each person's commune: contiguous ranges of numbers, one per commune."""
    return [town for town, share in enumerate(shares) for _ in range(share)]


def nearest(towns: list[object]) -> list[list[int]]:
    """Each commune's NEIGHBOURS nearest communes among the seeded ones (by their town halls' positions)."""

    def distance(a: object, b: object) -> float:
        dx = (a.longitude - b.longitude) * math.cos(math.radians(a.latitude))
        return math.hypot(dx, a.latitude - b.latitude)

    return [sorted((j for j in range(len(towns)) if j != i), key=lambda j: distance(towns[i], towns[j]))[:NEIGHBOURS]
            for i in range(len(towns))]  # fmt: skip


def followed(n: int, home: int, near: list[list[int]], every: int) -> list[int]:
    """The other communes person n follows: one in `every` does (by blocks of seven numbers, so that following
    and choosing SMS, one in ten by number, are independent), alternately one neighbour and two."""
    if not every or (n // 7) % every != 0:
        return []
    return near[home][: 1 + n % 2]


def seed(towns: list[object], people: int, sms_ratio: float, follow_ratio: float) -> dict[str, int]:
    """Seed (or keep, if already seeded alike) the people; returns how many members, follows and SMS choosers."""
    shares = spread(people, [t.population or 0 for t in towns])
    sms_every = max(1, round(1 / sms_ratio)) if sms_ratio else 0
    follow_every = max(1, round(1 / follow_ratio)) if follow_ratio else 0
    near, home = nearest(towns), homes(shares)
    follows = sum(len(followed(n, home[n], near, follow_every)) for n in range(people))
    if not _seeded(towns, shares, follows):
        with transaction.atomic():
            _forget_bench_people()
            for start in range(0, people, CHUNK):
                _seed_chunk(towns, range(start, min(start + CHUNK, people)), home, near, sms_every, follow_every)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    texting = len(range(0, people, sms_every)) if sms_every else 0
    return {"members": people, "follows": follows, "sms_choosers": texting}


def _seeded(towns: list[object], shares: list[int], follows: int) -> bool:
    """The same people as this run would seed: each commune's members, the follows, nobody past the last number."""
    from django.db.models import Count

    from accounts.models import User
    from communes.models import Follow, Membership

    people = sum(shares)
    if not User.objects.filter(phone=phone(people - 1)).exists() or User.objects.filter(phone=phone(people)).exists():
        return False
    counts = dict(Membership.objects.filter(commune__in=towns, status="approved").values_list("commune")
                  .annotate(n=Count("id")))  # fmt: skip
    if any(counts.get(t.pk, 0) != share for t, share in zip(towns, shares, strict=True)):
        return False
    return Follow.objects.filter(user__phone__startswith="+3367", stopped_at=None).count() == follows


def _seed_chunk(towns: list[object], numbers: range, home: list[int], near: list[list[int]], sms_every: int,
                follow_every: int) -> None:  # fmt: skip
    from accounts.models import User
    from communes.models import Follow, Membership
    from notifications.models import Device

    users = User.objects.bulk_create(
        User(phone=phone(n), password="!", preferences={  # noqa: S106 - unusable password
            "channels": ["push", "sms"] if sms_every and n % sms_every == 0 else ["push"],
            "categories": None, "quiet_hours": None})
        for n in numbers
    )  # fmt: skip
    pairs = list(zip(numbers, users, strict=True))
    Membership.objects.bulk_create(
        Membership(user=u, commune=towns[home[n]], status="approved", address="x") for n, u in pairs
    )
    Follow.objects.bulk_create(
        Follow(user=u, commune=towns[other]) for n, u in pairs for other in followed(n, home[n], near, follow_every)
    )
    # bench/fanout's token form (its bare transport reads the tokens back by this prefix).
    Device.objects.bulk_create(Device(user=u, fcm_token=f"bench-{u.pk}-{'t' * 140}", platform="android") for _, u in pairs)
