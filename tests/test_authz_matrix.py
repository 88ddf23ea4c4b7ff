"""The authorization matrix: every endpoint × every role × own commune / another commune.

A row is one request with the status each persona must get. Placeholders in the path are filled
from the target town: {insee}, {membership} (its pending applicant), {member} (a resident's
membership), {neighbourhood}, {second_mayor} and {second_referent} (moderators' memberships other than the
personas'), {rejected_mayor} (an excluded member whose row still says mayor), {warning} (a public warning of the
town), {vigilance} (a rise of the State's vigilance over it), {referent_user} (its referent's user id), {group} (a
warning over several communes, here the town alone). "own" targets
Saint-Paul-de-Vence (where the personas hold their roles, and the gendarme of 06 has its area); "other" targets
Charleville-Mézières (08).
Adding an endpoint = adding a row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from alerts.models import Alert
from communes.models import Commune, Follow, Membership, Neighbourhood, Role
from conftest import Town, client_for
from risks.models import VigilanceChange, WarningDelegate, WarningPartnership
from risks.services import Content, warning_issue
from risks.territory import area_warning_issue
from tests.factories import CommuneFactory, MembershipFactory, UserFactory

PERSONAS = ["anon", "resident", "referent", "mayor", "gendarme", "staff"]


@dataclass
class Case:
    method: str
    path: str
    # persona -> (status in own commune, status in the other); a single int means both.
    expect: dict[str, int | tuple[int, int]]
    body: dict[str, Any] = field(default_factory=dict)
    # Personas whose successful answer must still not show what is withheld from them (see withheld_strings).
    withheld_from: tuple[str, ...] = ()
    setup: Callable[[Town], object] | None = None
    name: str = ""

    def status(self, persona: str, scope: str) -> int:
        value = self.expect[persona]
        if isinstance(value, int):
            return value
        return value[0] if scope == "own" else value[1]


def everyone(status: int, **overrides: int | tuple[int, int]) -> dict[str, int | tuple[int, int]]:
    return {persona: overrides.get(persona, status) for persona in PERSONAS}


WARNING = {"hazard": "flood", "level": "orange", "title": "Crue du Loup", "description": "Le Loup déborde.",
           "expires_at": (timezone.now() + timedelta(days=1)).isoformat()}  # fmt: skip

CASES = [
    # Reference data: public.
    Case("get", "/api/v1/communes?search=saint", everyone(200)),
    Case("get", "/api/v1/communes/{insee}", everyone(200)),
    Case("get", "/api/v1/communes/{insee}/neighbourhoods", everyone(200)),
    # Identity: signed in only.
    Case("get", "/api/v1/me", everyone(200, anon=401)),
    Case("get", "/api/v1/me/export", everyone(200, anon=401)),
    Case("get", "/api/v1/me/memberships", everyone(200, anon=401)),
    Case("get", "/api/v1/auth/sessions", everyone(200, anon=401)),
    Case("post", "/api/v1/devices", everyone(201, anon=401), {"fcm_token": "tok-matrix", "platform": "android"}),
    Case("post", "/api/v1/me/landline", everyone(201, anon=401), {"number": "01 40 00 00 09"}),
    Case("get", "/api/v1/me/landline", everyone(404, anon=401)),
    Case("post", "/api/v1/me/landline/verify", everyone(400, anon=401), {"code": "123456"}),  # none to verify
    Case("delete", "/api/v1/me/landline", everyone(404, anon=401)),
    # Memberships of a commune: its moderators (and staff).
    Case("get", "/api/v1/communes/{insee}/memberships", everyone(403, anon=401, referent=(200, 403), mayor=(200, 403), staff=200)),
    Case("post", "/api/v1/communes/{insee}/memberships", everyone(201, anon=401, resident=(409, 201), referent=(409, 201),
                                                                  mayor=(409, 201)), {"address": "3 rue Neuve"}),  # fmt: skip
    Case("post", "/api/v1/memberships/{membership}/approve", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200)),
    Case("post", "/api/v1/memberships/{membership}/reject", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200),
         {"reason": "Adresse hors commune"}),  # fmt: skip
    # A moderator's membership: the mayor's to decide, never a referent's; approval never gives a role back.
    Case("post", "/api/v1/memberships/{second_mayor}/reject", everyone(404, anon=401, referent=(403, 404), mayor=(200, 404),
                                                                      staff=200), {"reason": "Fin de mandat"}),  # fmt: skip
    Case("post", "/api/v1/memberships/{second_referent}/reject", everyone(404, anon=401, referent=(403, 404),
                                                                         mayor=(200, 404), staff=200), {"reason": "Parti"}),  # fmt: skip
    Case("post", "/api/v1/memberships/{rejected_mayor}/approve", everyone(404, anon=401, referent=(403, 404), mayor=(200, 404),
                                                                         staff=200)),  # fmt: skip
    Case("patch", "/api/v1/memberships/{member}", everyone(404, anon=401, referent=(403, 404), mayor=(200, 404), staff=200),
         {"role": "referent"}),  # fmt: skip
    Case("delete", "/api/v1/memberships/{member}", everyone(404, anon=401, referent=(403, 404), mayor=(204, 404), staff=204)),
    Case("post", "/api/v1/communes/{insee}/neighbourhoods", everyone(403, anon=401, mayor=(201, 403), staff=201), {"name": "Nouveau"}),
    # Following a commune's public warnings: anyone signed in, in any enrolled commune (both towns are), members too.
    Case("post", "/api/v1/communes/{insee}/follow", everyone(201, anon=401), {"channels": ["push"]}),
    Case("delete", "/api/v1/communes/{insee}/follow", everyone(204, anon=401), setup=lambda town: follow_everyone(town),
         name="DELETE /api/v1/communes/{insee}/follow (followed)"),  # fmt: skip
    Case("delete", "/api/v1/communes/{insee}/follow", everyone(404, anon=401), name="DELETE /api/v1/communes/{insee}/follow (not)"),
    Case("get", "/api/v1/me/follows", everyone(200, anon=401), setup=lambda town: follow_everyone(town)),
    # Alerts: scoped querysets, so another commune's alerts are 404; visible but not allowed is 403.
    Case("get", "/api/v1/alerts", everyone(200, anon=401), withheld_from=("resident", "gendarme"),
         setup=lambda town: make_alert(town, "approved")),  # fmt: skip
    Case("post", "/api/v1/alerts", everyone(403, anon=401, resident=(201, 403), referent=(201, 403), mayor=(201, 403)),
         {"commune": "{insee}", "category": "vol", "description": "Vol de vélo devant la boulangerie"}),  # fmt: skip
    # A report matching someone else's pending one: a confirmation that shows a resident nothing of it.
    Case("post", "/api/v1/alerts", everyone(403, anon=401, resident=(200, 403), referent=(200, 403), mayor=(200, 403)),
         {"commune": "{insee}", "category": "vol", "description": "Moi aussi, vu au même endroit",
          "neighbourhood": "{neighbourhood}"}, withheld_from=("resident",), setup=lambda town: make_alert(town, "pending"),
         name="POST /api/v1/alerts (confirms a pending one)"),  # fmt: skip
    Case("get", "/api/v1/alerts/{approved}", everyone(404, anon=401, resident=(200, 404), referent=(200, 404), mayor=(200, 404),
                                                      gendarme=(200, 404), staff=200), withheld_from=("resident", "gendarme")),  # fmt: skip
    Case("get", "/api/v1/alerts/{pending}", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200)),
    Case("patch", "/api/v1/alerts/{pending}", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200), {"urgent": True}),
    Case("post", "/api/v1/alerts/{pending}/approve", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200)),
    Case("post", "/api/v1/alerts/{pending}/reject", everyone(404, anon=401, referent=(200, 404), mayor=(200, 404), staff=200),
         {"reason": "Doublon"}),  # fmt: skip
    Case("post", "/api/v1/alerts/{approved}/followups", everyone(404, anon=401, resident=(403, 404), gendarme=(403, 404),
                                                                 referent=(201, 404), mayor=(201, 404),
                                                                 staff=201), {"kind": "end", "body": "Fin de l'alerte"}),  # fmt: skip
    Case("get", "/api/v1/alerts/{approved}/deliveries", everyone(404, anon=401, resident=(403, 404), gendarme=(403, 404),
                                                                 referent=(200, 404), mayor=(200, 404),
                                                                 staff=200)),  # fmt: skip
    Case("post", "/api/v1/communes/{insee}/broadcasts", everyone(403, anon=401, mayor=(201, 403), staff=201),
         {"title": "Prudence", "body": "Démarcheurs signalés ce matin."}),  # fmt: skip
    Case("post", "/api/v1/communes/{insee}/landline-residents", everyone(403, anon=401, mayor=(201, 403), staff=201),
         {"display_name": "Mme Giraud", "landline": "04 93 32 00 01", "address": "3 rue Grande", "consent": True,
          "consent_note": "Accord écrit signé en mairie."}),  # fmt: skip
    Case("get", "/api/v1/communes/{insee}/broadcasts", everyone(403, anon=401, resident=(200, 403), referent=(200, 403), mayor=(200, 403), staff=200)),
    Case("get", "/api/v1/communes/{insee}/policy", everyone(403, anon=401, referent=(200, 403), mayor=(200, 403), staff=200)),
    Case("patch", "/api/v1/communes/{insee}/policy", everyone(403, anon=401, mayor=(200, 403), staff=200), {"escalation_minutes": 15}),
    # Public warnings: anyone reads them; the commune's mayors (and the referents they delegate: risks/tests) and staff
    # write them; a warning is public, so another commune's mayor gets 403 acting on it, never 404.
    Case("get", "/api/v1/communes/{insee}/warnings", everyone(200), setup=lambda town: make_warning(town)),
    Case("get", "/api/v1/warnings/{warning}", everyone(200)),
    Case("get", "/api/v1/warnings/instructions?hazard=flood&level=red", everyone(200)),
    Case("post", "/api/v1/communes/{insee}/warnings", everyone(403, anon=401, mayor=(201, 403), staff=201), WARNING),
    Case("post", "/api/v1/warnings/{warning}/update", everyone(403, anon=401, mayor=(201, 403), staff=201), {"level": "red"}),
    Case("post", "/api/v1/warnings/{warning}/end", everyone(403, anon=401, mayor=(201, 403), staff=201), {"text": "Décrue"}),
    Case("get", "/api/v1/communes/{insee}/warning-delegates", everyone(403, anon=401, mayor=(200, 403), staff=200)),
    Case("post", "/api/v1/communes/{insee}/warning-delegates", everyone(403, anon=401, mayor=(201, 403), staff=201),
         {"user": "{referent_user}"}),  # fmt: skip
    Case("delete", "/api/v1/communes/{insee}/warning-delegates/{referent_user}",
         everyone(403, anon=401, mayor=(204, 403), staff=204), setup=lambda town: make_delegate(town)),  # fmt: skip
    Case("get", "/api/v1/communes/{insee}/risk-policy", everyone(403, anon=401, referent=(200, 403), mayor=(200, 403), staff=200)),
    Case("patch", "/api/v1/communes/{insee}/risk-policy", everyone(403, anon=401, mayor=(200, 403), staff=200),
         {"relay_red_automatically": True}),  # fmt: skip
    # The State's vigilance prompts the commune's moderators only: not public, so 404 outside; a referent without
    # delegation reads it but does not decide (403).
    Case("get", "/api/v1/communes/{insee}/vigilance", everyone(403, anon=401, referent=(200, 403), mayor=(200, 403), staff=200),
         setup=lambda town: make_vigilance(town)),  # fmt: skip
    Case("post", "/api/v1/vigilance/{vigilance}/relay", everyone(404, anon=401, referent=(403, 404), mayor=(201, 404), staff=201)),
    Case("post", "/api/v1/vigilance/{vigilance}/dismiss", everyone(404, anon=401, referent=(403, 404), mayor=(200, 404),
                                                                   staff=200)),  # fmt: skip
    # Warnings over several communes (risks/territory_views.py): staff, the operators of the commune's territory, its
    # mayors (others' communes once their mayors agreed: risks/tests/test_territory_api.py); 403 naming the commune.
    Case("post", "/api/v1/warnings", everyone(403, anon=401, mayor=(201, 403), staff=201, operator=(201, 403)),
         {**WARNING, "communes": ["{insee}"]}),  # fmt: skip
    Case("post", "/api/v1/warnings/preview", everyone(403, anon=401, mayor=(200, 403), staff=200, operator=(200, 403)),
         {**WARNING, "communes": ["{insee}"]}),  # fmt: skip
    Case("get", "/api/v1/warning-groups/{group}", everyone(200, operator=200)),
    Case("post", "/api/v1/warning-groups/{group}/update", everyone(403, anon=401, mayor=(201, 403), staff=201,
                                                                    operator=(201, 403)), {"level": "red"}),  # fmt: skip
    Case("post", "/api/v1/warning-groups/{group}/end", everyone(403, anon=401, mayor=(201, 403), staff=201,
                                                                 operator=(201, 403)), {"text": "Décrue"}),  # fmt: skip
    Case("get", "/api/v1/communes/{insee}/warning-partners", everyone(403, anon=401, mayor=(200, 403), staff=200,
                                                                       operator=403)),  # fmt: skip
    Case("post", "/api/v1/communes/{insee}/warning-partners", everyone(403, anon=401, mayor=(201, 403), staff=201,
                                                                        operator=403), {"insee": "06157"},
         setup=lambda town: make_partner_commune()),  # fmt: skip
    Case("delete", "/api/v1/communes/{insee}/warning-partners/06157", everyone(403, anon=401, mayor=(204, 403),
                                                                               staff=204, operator=403),
         setup=lambda town: make_partnership(town)),  # fmt: skip
    # Audit log: the commune's mayors and staff.
    Case("get", "/api/v1/communes/{insee}/audit", everyone(403, anon=401, mayor=(200, 403), staff=200)),
    # Statistics and exports: the commune's moderators, the gendarmes of its area, staff.
    Case("get", "/api/v1/stats/communes/{insee}", everyone(403, anon=401, referent=(200, 403), mayor=(200, 403),
                                                          gendarme=(200, 403), staff=200)),  # fmt: skip
    Case("get", "/api/v1/stats/export?communes={insee}&format=csv", everyone(403, anon=401, referent=(200, 403),
                                                                              mayor=(200, 403), gendarme=(200, 403), staff=200)),  # fmt: skip
    Case("get", "/api/v1/stats/export?communes={insee}&format=xlsx", everyone(403, anon=401, referent=(200, 403),
                                                                               mayor=(200, 403), gendarme=(200, 403), staff=200)),  # fmt: skip
]


def persona_client(persona: str, own: Town, gendarme: Any, staff: Any) -> APIClient:
    users = {"anon": None, "resident": own.resident, "referent": own.referent, "mayor": own.mayor,
             "gendarme": gendarme, "staff": staff}  # fmt: skip
    return client_for(users[persona])


def make_alert(town: Town, status: str) -> int:
    alert = Alert.objects.create(commune=town.commune, category="vol", description=f"Alerte {status}", status=status,
                                 occurred_at=timezone.now(), reporter=town.resident2, address="12 impasse des Lilas",
                                 neighbourhood=centre(town))  # fmt: skip
    return alert.pk


def follow_everyone(town: Town) -> None:
    """Every person of the test (the personas of both towns, the gendarme, staff) follows the town."""
    Follow.objects.bulk_create(Follow(user=user, commune=town.commune) for user in User.objects.all())


def centre(town: Town) -> Neighbourhood:
    return Neighbourhood.objects.get_or_create(commune=town.commune, name="Centre")[0]


def make_warning(town: Town) -> int:
    warning = warning_issue(commune=town.commune, actor=town.mayor, hazard="flood", level="orange", title="Crue",
                            description="Le Loup déborde.", expires_at=timezone.now() + timedelta(hours=6))  # fmt: skip
    return warning.pk


def make_delegate(town: Town) -> int:
    return WarningDelegate.objects.create(commune=town.commune, user=town.referent, granted_by=town.mayor).pk


def make_vigilance(town: Town) -> int:
    return VigilanceChange.objects.create(commune=town.commune, source="vigicrues", hazard="flood", level="orange",
                                          previous_level="yellow", area_code="Y6").pk  # fmt: skip


def make_group(town: Town) -> int:
    content = Content(hazard="flood", level="orange", title="Crue", description="Le Loup déborde.",
                      expires_at=timezone.now() + timedelta(hours=6))  # fmt: skip
    return area_warning_issue(communes=[town.commune], content=content, actor=town.mayor).group.pk


def make_partner_commune() -> Commune:
    return CommuneFactory.create(insee="06157", name="Vence", departement="06")


def make_partnership(town: Town) -> int:
    return WarningPartnership.objects.create(commune=town.commune, partner=make_partner_commune()).pk


def make_member(town: Town, role: str, status: str = "approved") -> int:
    return MembershipFactory.create(commune=town.commune, role=role, status=status, user=UserFactory.create()).pk


def fill(template: Any, town: Town) -> Any:
    if isinstance(template, dict):
        return {key: fill(value, town) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, town) for value in template]
    if not isinstance(template, str) or "{" not in template:
        return template
    path = template
    neighbourhood = centre(town)
    return path.format(
        insee=town.commune.insee,
        pending=make_alert(town, "pending") if "{pending}" in path else 0,
        approved=make_alert(town, "approved") if "{approved}" in path else 0,
        membership=Membership.objects.get(user=town.applicant).pk,
        member=Membership.objects.get(user=town.resident2).pk,
        neighbourhood=neighbourhood.pk,
        second_mayor=make_member(town, Role.MAYOR) if "{second_mayor}" in path else 0,
        second_referent=make_member(town, Role.REFERENT) if "{second_referent}" in path else 0,
        rejected_mayor=make_member(town, Role.MAYOR, "rejected") if "{rejected_mayor}" in path else 0,
        warning=make_warning(town) if "{warning}" in path else 0,
        group=make_group(town) if "{group}" in path else 0,
        vigilance=make_vigilance(town) if "{vigilance}" in path else 0,
        referent_user=town.referent.pk,
    )


def private_strings(town: Town) -> list[str]:
    people = [town.mayor, town.referent, town.resident, town.resident2, town.applicant]
    alerts = [a.description for a in Alert.objects.filter(commune=town.commune)]
    return [str(p.phone) for p in people] + [p.display_name for p in people if p.display_name] + alerts


def withheld_strings(town: Town) -> list[str]:
    """What a resident never reads, even in a successful answer: who reported, typed addresses, unpublished text."""
    alerts = Alert.objects.filter(commune=town.commune).select_related("reporter")
    reporters = [a.reporter for a in alerts if a.reporter]
    return ([str(p.phone) for p in reporters] + [p.display_name for p in reporters if p.display_name]
            + [a.address for a in alerts if a.address] + [a.description for a in alerts if a.status != "approved"])  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name or f"{c.method.upper()} {c.path}")
def test_matrix(case: Case, persona: str, scope: str, saint_paul: Town, charleville: Town, gendarme_06: Any,
                staff: Any) -> None:  # fmt: skip
    target = saint_paul if scope == "own" else charleville
    client = persona_client(persona, saint_paul, gendarme_06, staff)
    if case.setup is not None:
        case.setup(target)
    response = getattr(client, case.method)(fill(case.path, target), fill(case.body, target), format="json")
    expected = case.status(persona, scope)
    assert response.status_code == expected, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        body = response.content.decode()
        assert not [s for s in private_strings(target) if s in body], "an error leaked private data"
    elif persona in case.withheld_from:
        body = response.content.decode()
        assert not [s for s in withheld_strings(target) if s in body], "a successful answer showed what is withheld"
