"""Seed the benchmark database: N members of one commune, each with a device, some choosing SMS."""

from django.db import connection, transaction

BENCH_INSEE = "99999"
CHUNK = 5000


def seed(members: int, sms_ratio: float) -> object:
    from accounts.models import User
    from communes.models import Commune, Membership
    from notifications.models import Delivery, Device, Message

    commune, _ = Commune.objects.get_or_create(
        insee=BENCH_INSEE, type="COM", defaults={"name": "Bench-sur-Mer", "departement": "99", "enrolled": True}
    )
    Delivery.objects.filter(message__commune=commune).delete()
    Message.objects.filter(commune=commune).delete()
    if Membership.objects.filter(commune=commune).count() == members:
        return commune  # already seeded at this size: keep it, seeding 100,000 takes a while
    with transaction.atomic():
        Membership.objects.filter(commune=commune).delete()
        User.objects.filter(phone__startswith="+3367").delete()
        every = max(1, round(1 / sms_ratio)) if sms_ratio else 0
        for start in range(0, members, CHUNK):
            _seed_chunk(commune, range(start, min(start + CHUNK, members)), every, User, Membership, Device)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return commune


def _seed_chunk(commune: object, numbers: range, every: int, user_model: type, membership_model: type,
                device_model: type) -> None:  # fmt: skip
    users = user_model.objects.bulk_create(
        user_model(phone=f"+3367{n:07d}", password="!", preferences={  # noqa: S106 - unusable password
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
