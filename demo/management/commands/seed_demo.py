"""Demo data for `make run`: Saint-Paul-de-Vence enrolled, its people, a year of history, the official figures."""

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import staff_auth
from accounts.models import User
from communes.models import Commune, Neighbourhood
from communes.services import commune_enroll
from demo import people
from demo.official import load_official_figures
from demo.year import Summary, has_history, seed_year

DEMO_COMMUNE = "06128"


class Command(BaseCommand):
    help = ("Crée les données de démonstration : Saint-Paul-de-Vence, ses habitants, un an d'historique et les "
            "chiffres officiels fournis (idempotent). Réservé au mode DEBUG.")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo ne s'exécute qu'avec DEBUG=true.")
        commune = Commune.objects.by_insee(DEMO_COMMUNE)
        if commune is None:
            raise CommandError("Importez d'abord les communes : manage.py import_communes")
        commune_enroll(commune=commune)
        neighbourhoods = people.ensure_neighbourhoods(commune)
        users = people.ensure_logins(commune, neighbourhoods)
        self.seed_history(commune, neighbourhoods)
        load_official_figures(self.stdout.write)
        self.print_logins(commune)
        self.print_staff_totp(users[people.STAFF.phone])

    def seed_history(self, commune: Commune, neighbourhoods: dict[str, Neighbourhood]) -> None:
        if has_history(commune):
            self.stdout.write(f"Historique : {commune.name} a déjà ses signalements, rien n'est ajouté.")
            return
        started = time.monotonic()
        summary = seed_year(commune, neighbourhoods, timezone.now())
        self.stdout.write(describe(summary, time.monotonic() - started))

    def print_logins(self, commune: Commune) -> None:
        out = self.stdout.write
        # Where `make run` serves (its HOST and PORT), so that the printed links work.
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        dashboard, desk, api = f"{base}/dashboard/", f"{base}/desk/", f"{base}/api/v1/docs/"
        out(self.style.SUCCESS(f"\nDémo prête : {commune.name} ({commune.insee}), un an d'historique."))
        out(f"Serveur : {base}/  —  documentation de l'API : {api}")
        out("Connexion : le numéro de téléphone, puis le code reçu par SMS, qui s'affiche dans cette console.")
        out(f"  Maire        {people.MAYOR.phone}  tableaux de bord {dashboard}  ·  bureau de la mairie {desk}")
        out(f"  Référente    {people.REFERENT.phone}  bureau de la mairie {desk}  ·  tableaux de bord {dashboard}")
        out(f"  Gendarme     {people.GENDARME.phone}  alertes du secteur {desk}alerts/  ·  tableaux de bord {dashboard} "
            f"(département {people.GENDARME_DEPARTEMENT})")  # fmt: skip
        if commune.epci_siren:
            out(f"  Opérateur    {people.OPERATOR.phone}  territoire {desk}territories/epci/{commune.epci_siren}/  ·  "
                f"tableaux de bord {dashboard} ({commune.epci_name or commune.epci_siren})")  # fmt: skip
        out(f"  Habitant     {people.RESIDENT.phone}  l'application, par l'API : {api}")
        out(f'    curl -X POST {base}/api/v1/auth/otp/request -H "Content-Type: application/json" '
            f"-d '{{\"phone\": \"{people.RESIDENT.phone}\"}}'")  # fmt: skip
        out(f"  Équipe       {people.STAFF.phone}  mot de passe {people.STAFF_PASSWORD}, puis un code TOTP : "
            f"{base}/dashboard/login/password/ (et l'admin {base}/admin/)")  # fmt: skip

    def print_staff_totp(self, staff: User) -> None:
        """The demo staff's authenticator secret, and how to get a code without an authenticator app."""
        device = staff_auth.enrol(staff)
        out = self.stdout.write
        out(f"  secret TOTP (application d'authentification) : {staff_auth.secret_base32(device)}")
        out(f"  {staff_auth.provisioning_uri(device)}")
        out(f"  code du moment, sans application : DEBUG=true python manage.py staff_totp {people.STAFF.phone} --code\n")


def describe(summary: Summary, seconds: float) -> str:
    return (
        f"Historique : {summary.reports} signalements sur 12 mois ({summary.approved} publiés, {summary.rejected} "
        f"refusés, {summary.pending} en attente), {summary.broadcasts} messages du maire, {summary.members} membres "
        f"et {summary.pending_requests} demandes d'adhésion en attente, {summary.deliveries} envois ; créé en "
        f"{seconds:.1f} s."
    )
