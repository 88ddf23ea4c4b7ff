"""A warning over several communes is one message: its figures count each person once, in one of its communes,
in the message summaries, the public balance and the territory's statistics alike."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import User
from communes.models import Commune, Follow
from communes.territories import find_territory
from conftest import Town, make_town
from notifications import planner
from notifications.models import Delivery, DeliveryStatus, Device, MessageSummary
from notifications.summaries import figures_by_commune, summarise
from risks.models import Level
from risks.services import Content
from risks.territory import area_warning_issue
from stats.balance import commune_balance, territory_balance
from stats.periods import DateRange
from stats.territory_stats import territory_statistics
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SIREN = "240600585"


def town(insee: str, name: str) -> Town:
    found = make_town(insee, name, "06")
    Commune.objects.filter(pk=found.commune.pk).update(epci_siren=SIREN, epci_name="CA Sophia Antipolis", enrolled=True,
                                                       enrolled_at=timezone.now() - timedelta(days=400))  # fmt: skip
    found.commune.refresh_from_db()
    return found


def follower(*communes: Commune) -> User:
    user: User = UserFactory.create(preferences={"channels": ["push"], "categories": None, "quiet_hours": None})
    Device.objects.create(user=user, fcm_token=f"token-{user.pk}-{'f' * 20}", platform="android")
    for commune in communes:
        Follow.objects.create(user=user, commune=commune)
    return user


def test_each_person_counts_once_in_one_commune_everywhere(settings: Any) -> None:
    settings.BALANCE_MIN_COUNT = 1  # a handful of people here: nothing withheld
    a, b, c = town("06157", "Vence"), town("06128", "Saint-Paul-de-Vence"), town("06161", "Villeneuve-Loubet")
    follower(b.commune, c.commune)  # counted in b (the first by id it follows)
    Follow.objects.create(user=b.resident, commune=c.commune)  # a member of b who follows c: counted in b
    content = Content(hazard="flood", level=Level.ORANGE, title="Crue du Loup", description="Le Loup déborde.",
                      expires_at=timezone.now() + timedelta(hours=6))  # fmt: skip
    sent = area_warning_issue(communes=[a.commune, b.commune, c.commune], content=content, actor=None)
    planner.plan(sent.message.pk)
    Delivery.objects.filter(message=sent.message).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    people = Delivery.objects.filter(message=sent.message).values("user_id").distinct().count()
    assert people == 3 * 4 + 1  # four approved members each (mayor, referent, two residents) and one follower

    by_commune = {commune_id: f.recipients for commune_id, f in figures_by_commune(sent.message).items()}
    first = min(b.commune.pk, c.commune.pk)
    expected = {a.commune.pk: 4, b.commune.pk: 4, c.commune.pk: 4}
    expected[first] += 1  # the follower of b and c
    assert by_commune == expected and sum(by_commune.values()) == people

    summarise(sent.message, final=True)
    assert MessageSummary.objects.filter(message=sent.message).count() == 3
    year = timezone.localdate().year
    balance = commune_balance(b.commune, year)
    assert balance["warnings"]["recipients"] == expected[b.commune.pk]
    territory = find_territory("epci", SIREN)
    assert territory is not None
    whole = territory_balance(territory, year)
    assert whole["warnings"]["recipients"] == people and whole["warnings"]["messages"] == 1  # one message, not 3
    assert [line["warnings"]["recipients"] for line in whole["communes"]] == [
        expected[commune.pk] for commune in sorted((a.commune, b.commune, c.commune), key=lambda x: (x.name, x.insee))]
    stats = territory_statistics(territory, DateRange(timezone.localdate() - timedelta(days=1), timezone.localdate()),
                                 [a.commune, b.commune, c.commune])  # fmt: skip
    rows = {row["commune"]["insee"]: row["warnings"]["recipients"] for row in stats["communes"]}
    assert rows == {t.commune.insee: expected[t.commune.pk] for t in (a, b, c)}
    assert stats["totals"]["warnings"]["recipients"] == people
