"""The database as it stands after a warning reached 100,000 members: the fan-out benchmark's members
(bench/fanout/seed.py, commune 99999), a season of approved reports with follow-ups, the mayor's warning and
its 100,000 deliveries, every French commune (for the search), and sign-in tokens for the readers."""

import random
import sys
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fanout"))

import seed as fanout_seed

REPORTS = 300
MAYOR_PHONE = "+33699999980"


def seed(members: int, tokens: int) -> dict[str, object]:
    """Seed what is missing; returns the commune's INSEE code, an alert id, the readers' and mayor's keys."""
    if _communes() < 30_000:
        call_command("import_communes", verbosity=0)
    _forget_mayor()  # the fan-out's seed counts the commune's members: the mayor is added after it
    commune = fanout_seed.seed(members, sms_ratio=0.1)  # also clears the messages of an earlier run
    mayor = _mayor(commune)
    with transaction.atomic():
        alert_ids = _reports(commune, mayor)
        _warning_delivered(commune, mayor)
    seeded = {"insee": commune.insee, "alert": alert_ids[-1], "readers": _reader_keys(commune, tokens),
              "mayor": _keys([mayor], "bench-herd-mayor")[0]}  # fmt: skip
    # After the tokens too, as autovacuum would soon: with the tokens' table thought empty, the planner
    # merge-joins it with every user, and the mayor's token (the last user) costs 9 ms to find. VACUUM too, as
    # autovacuum would: the first run after a fresh seed read the statistics at 421 req/s, p95 150 ms, the next
    # at 686, 87 ms; new rows cost their first readers the hint bits, and autovacuum ran beside the first run.
    _vacuum_analyze()
    return seeded


def _communes() -> int:
    from communes.models import Commune

    return Commune.objects.count()


def _forget_mayor() -> None:
    from accounts.models import AuthToken
    from communes.models import Membership

    AuthToken.objects.filter(device_name__startswith="bench-herd").delete()  # they hold members a reseed deletes
    Membership.objects.filter(user__phone=MAYOR_PHONE).delete()


def _mayor(commune: object) -> object:
    from accounts.models import User
    from communes.models import Membership

    mayor, _ = User.objects.get_or_create(phone=MAYOR_PHONE)
    Membership.objects.update_or_create(user=mayor, commune=commune, defaults={"status": "approved", "role": "mayor"})
    return mayor


def _reports(commune: object, mayor: object) -> list[int]:
    """REPORTS approved reports over 60 days, a third with a follow-up; the same each run (seeded)."""
    from alerts.models import Alert, FollowUp

    Alert.objects.filter(commune=commune).delete()
    rng, now = random.Random(16), timezone.now()
    categories = ["cambriolage", "vehicule_suspect", "individu_suspect", "demarchage_suspect", "vol"]
    alerts = Alert.objects.bulk_create(
        Alert(commune=commune, category=rng.choice(categories), title=f"Signalement {n}", status="approved",
              description="Camionnette blanche qui tourne lentement dans le quartier, plaque partielle AB-12.",
              latitude=43.69 + rng.random() / 100, longitude=7.12 + rng.random() / 100,
              occurred_at=now - timedelta(days=60 * (REPORTS - n) / REPORTS), moderated_by=mayor,
              moderated_at=now - timedelta(days=60 * (REPORTS - n) / REPORTS))
        for n in range(REPORTS)
    )  # fmt: skip
    FollowUp.objects.bulk_create(
        FollowUp(alert=a, kind="erratum", author=mayor, body="Le véhicule était celui d'un artisan.") for a in alerts[::3]
    )
    return [a.pk for a in alerts]


def _warning_delivered(commune: object, mayor: object) -> None:
    """The mayor's warning and one delivered push per member, as the fan-out leaves them."""
    from alerts.models import Alert
    from notifications.models import Message

    warning = Alert.objects.create(commune=commune, kind="broadcast", category="autre", status="approved",
                                   title="Démarcheurs", description="De faux agents des eaux passent ce matin.",
                                   occurred_at=timezone.now(), moderated_by=mayor, moderated_at=timezone.now())  # fmt: skip
    message = Message.objects.create(
        commune=commune, kind="broadcast", title=warning.title, body=warning.description, channels=["push", "sms"],
        status="planned", source_type="alert", source_id=warning.pk,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_delivery (message_id, user_id, channel, status, attempts, provider_id, "
            "provider_status, error_code, created_at, sent_at, finished_at) SELECT %s, user_id, 'push', "
            "'delivered', 1, '', '', '', now(), now(), now() FROM communes_membership WHERE commune_id = %s",
            [message.pk, commune.pk],  # type: ignore[attr-defined]
        )


def _reader_keys(commune: object, tokens: int) -> list[str]:
    from accounts.models import User

    readers = list(User.objects.filter(memberships__commune=commune, phone__startswith="+3367").order_by("pk")[:tokens])
    return _keys(readers, "bench-herd")


def _keys(users: list, device_name: str) -> list[str]:
    from accounts.models import AuthToken

    AuthToken.objects.filter(device_name=device_name).delete()
    return [AuthToken.objects.issue(user, device_name)[1] for user in users]


def _vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
