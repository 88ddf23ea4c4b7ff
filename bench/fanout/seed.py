"""Seed the benchmark database: N members of one commune, each with a device, some choosing SMS."""

from django.db import connection, transaction

BENCH_INSEE = "99999"
CHUNK = 5000


def seed(members: int, sms_ratio: float) -> object:
    from accounts.models import User
    from communes.models import Commune, Membership
    from notifications.models import Device, Message

    commune, _ = Commune.objects.get_or_create(
        insee=BENCH_INSEE, type="COM", defaults={"name": "Bench-sur-Mer", "departement": "99", "enrolled": True}
    )
    with connection.cursor() as cursor:
        # By message id, so the plan never depends on statistics that are stale right after a run.
        cursor.execute("DELETE FROM notifications_delivery WHERE message_id IN "
                       "(SELECT id FROM notifications_message WHERE commune_id = %s)", [commune.pk])  # fmt: skip
    Message.objects.filter(commune=commune).delete()
    with connection.cursor() as cursor:
        # What autovacuum does after such a delete, before the next alert: without it the statistics say
        # "no rows in these pages" until the next ANALYZE, a state production tables are rarely in.
        cursor.execute("VACUUM ANALYZE notifications_delivery, notifications_message")
    seeded = Membership.objects.filter(commune=commune).count() == members
    if seeded and User.objects.filter(phone=phone(members - 1)).exists():
        return commune  # already seeded at this size: keep it, seeding 100,000 takes a while
    with transaction.atomic():
        _forget_bench_members()
        every = max(1, round(1 / sms_ratio)) if sms_ratio else 0
        for start in range(0, members, CHUNK):
            _seed_chunk(commune, range(start, min(start + CHUNK, members)), every, User, Membership, Device)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return commune


def phone(n: int) -> str:
    """+3367 then 7 digits whose 4th is 0: never the fake provider's fault numbers (…99xxx), which would
    turn the measure of the clean path into one of retry backoffs (those are tested in the test suite)."""
    return f"+3367{n // 1000:03d}0{n % 1000:03d}"


def _forget_bench_members() -> None:
    """Raw deletes: the ORM's cascade collects 100,000 users one by one in Python (many minutes)."""
    users = "SELECT id FROM accounts_user WHERE phone LIKE '+3367%%'"
    with connection.cursor() as cursor:
        for table in ("notifications_delivery", "notifications_device", "communes_membership"):
            cursor.execute(f"DELETE FROM {table} WHERE user_id IN ({users})")  # noqa: S608 - constants only
        cursor.execute("DELETE FROM accounts_user WHERE phone LIKE '+3367%%'")


def _seed_chunk(commune: object, numbers: range, every: int, user_model: type, membership_model: type,
                device_model: type) -> None:  # fmt: skip
    users = user_model.objects.bulk_create(
        user_model(phone=phone(n), password="!", preferences={  # noqa: S106 - unusable password
            "channels": ["push", "sms"] if every and n % every == 0 else ["push"],
            "categories": None, "quiet_hours": None})
        for n in numbers
    )  # fmt: skip
    membership_model.objects.bulk_create(
        membership_model(user=u, commune=commune, status="approved", address="x") for u in users
    )
    device_model.objects.bulk_create(
        device_model(user=u, fcm_token=f"bench-{u.pk}-{'t' * 140}", platform="android") for u in users
    )
