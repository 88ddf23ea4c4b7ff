"""Seed the followers benchmark: N people spread evenly over C enrolled communes, each following one of them
(no member: followers alone), each with a push device, some also choosing SMS.

The people are bench/fanout's (its numbers, tokens, preferences and its clean-up, imported from its seed.py),
so that bench/fanout's bare transport, which reads them back, sends exactly the pushes and SMS of this run.
"""

from django.db import connection, transaction
from seed import CHUNK, _forget_bench_members, phone  # bench/fanout/seed.py (the run puts it first on the path)

FIRST_INSEE = 99901  # the communes 99901, 99902, …: département 99, never a real one


def seed(followers: int, communes: int, sms_ratio: float) -> list[object]:
    from communes.models import Commune, Follow, Membership
    from notifications.models import Message

    towns = [
        Commune.objects.get_or_create(insee=str(FIRST_INSEE + i), type="COM",
                                      defaults={"name": f"Suivi-sur-Bench-{i + 1}", "departement": "99",
                                                "enrolled": True})[0]
        for i in range(communes)
    ]  # fmt: skip
    _forget_previous_runs(towns, Message)
    every = max(1, round(1 / sms_ratio)) if sms_ratio else 0
    active = Follow.objects.filter(commune__in=towns, stopped_at=None).count()
    members = Membership.objects.filter(user__phone__startswith="+3367").exists()
    if active == followers and not members and _seeded(followers, len(towns), every):
        return towns  # already seeded alike: keep it, seeding 100,000 takes a while
    with transaction.atomic():
        _forget_bench_people()
        for start in range(0, followers, CHUNK):
            _seed_chunk(towns, range(start, min(start + CHUNK, followers)), every)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return towns


def _seeded(followers: int, towns: int, every: int) -> bool:
    """The same people as this run would seed: as many, and the first ones choosing SMS as _seed_chunk would."""
    from accounts.models import User

    if not User.objects.filter(phone=phone(followers - 1)).exists() or User.objects.filter(phone=phone(followers)).exists():
        return False
    sample = range(min(followers, 2 * towns * max(every, 1)))
    chosen = dict(User.objects.filter(phone__in=[phone(n) for n in sample]).values_list("phone", "preferences"))
    return all(("sms" in chosen[phone(n)]["channels"]) == _texted(n, towns, every) for n in sample)


def _texted(n: int, towns: int, every: int) -> bool:
    # Round robin over the communes: the SMS choosers by rank within their commune, so that each gets its share.
    return bool(every) and (n // towns) % every == 0


def _forget_previous_runs(towns: list[object], message_model: type) -> None:
    """The previous run's messages and deliveries, then what autovacuum would do before the next warning."""
    ids = [t.pk for t in towns]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_delivery WHERE message_id IN "
                       "(SELECT id FROM notifications_message WHERE commune_id = ANY(%s))", [ids])  # fmt: skip
    message_model.objects.filter(commune_id__in=ids).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_delivery, notifications_message")


def _forget_bench_people() -> None:
    """Their follows first (raw deletes, as bench/fanout's clean-up, which does the rest)."""
    users = "SELECT id FROM accounts_user WHERE phone LIKE '+3367%%'"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM communes_follow_neighbourhoods WHERE follow_id IN "  # noqa: S608 - constants only
                       f"(SELECT id FROM communes_follow WHERE user_id IN ({users}))")  # fmt: skip
        cursor.execute(f"DELETE FROM communes_follow WHERE user_id IN ({users})")  # noqa: S608 - constants only
    _forget_bench_members()


def _seed_chunk(towns: list[object], numbers: range, every: int) -> None:
    from accounts.models import User
    from communes.models import Follow
    from notifications.models import Device

    users = User.objects.bulk_create(
        User(phone=phone(n), password="!", preferences={  # noqa: S106 - unusable password
            "channels": ["push", "sms"] if _texted(n, len(towns), every) else ["push"],
            "categories": None, "quiet_hours": None})
        for n in numbers
    )  # fmt: skip
    # Round robin: every commune gets the same share of the followers.
    Follow.objects.bulk_create(Follow(user=u, commune=towns[n % len(towns)]) for n, u in zip(numbers, users, strict=True))
    # bench/fanout's token form: its bare transport reads the tokens back by this prefix.
    Device.objects.bulk_create(Device(user=u, fcm_token=f"bench-{u.pk}-{'t' * 140}", platform="android") for u in users)
