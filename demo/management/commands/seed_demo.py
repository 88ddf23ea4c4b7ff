"""Demo data for `make run`: Saint-Paul-de-Vence enrolled with a mayor, a referent and residents."""

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import staff_auth
from accounts.models import User
from communes.models import Commune, Membership, MembershipStatus, Neighbourhood, Role
from communes.services import commune_enroll

DEMO_COMMUNE = "06128"
DEMO_PEOPLE = [
    ("+33600000001", "Maire de démonstration", Role.MAYOR, "Place de la Mairie"),
    ("+33600000002", "Référente Colline", Role.REFERENT, "Chemin de la Colline"),
    ("+33600000003", "Habitant Village", Role.RESIDENT, "Rue Grande"),
    ("+33600000004", "Habitante Fontaine", Role.RESIDENT, "Place de la Grande Fontaine"),
]
DEMO_STAFF = ("+33600000099", "demo-staff-password")


class Command(BaseCommand):
    help = "Crée les données de démonstration (idempotent). Réservé au mode DEBUG."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo ne s'exécute qu'avec DEBUG=true.")
        commune = Commune.objects.by_insee(DEMO_COMMUNE)
        if commune is None:
            raise CommandError("Importez d'abord les communes : manage.py import_communes")
        commune_enroll(commune=commune)
        village, _ = Neighbourhood.objects.get_or_create(commune=commune, name="Village")
        Neighbourhood.objects.get_or_create(commune=commune, name="Les Collines")
        for phone, name, role, address in DEMO_PEOPLE:
            user, _ = User.objects.get_or_create(phone=phone, defaults={"display_name": name})
            Membership.objects.get_or_create(
                user=user, commune=commune,
                defaults={"role": role, "status": MembershipStatus.APPROVED, "address": address,
                          "neighbourhood": village},
            )  # fmt: skip
        staff_phone, staff_password = DEMO_STAFF
        staff = User.objects.filter(phone=staff_phone).first()
        if staff is None:
            staff = User.objects.create_superuser(staff_phone, staff_password, display_name="Équipe Vigilants")
        staff_auth.enrol(staff)  # the staff's password asks for a TOTP code next
        self.print_logins(commune)
        self.print_staff_totp(staff)

    def print_logins(self, commune: Commune) -> None:
        out = self.stdout.write
        # Where `make run` serves (its HOST and PORT), so that the printed links work.
        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        out(self.style.SUCCESS(f"\nDémo prête : {commune.name} ({commune.insee}) est inscrite."))
        out(f"Serveur : {base}/  —  API : {base}/api/v1/docs/")
        out("Connexion par code SMS (le code s'affiche dans cette console) :")
        out(f'  curl -X POST {base}/api/v1/auth/otp/request -H "Content-Type: application/json" '
            "-d '{\"phone\": \"+33600000001\"}'")  # fmt: skip
        for phone, name, role, _ in DEMO_PEOPLE:
            out(f"  {phone}  {name} ({role})")
        out(f"Équipe (admin /admin/ et tableaux de bord) : {DEMO_STAFF[0]} / {DEMO_STAFF[1]}, puis un code TOTP")

    def print_staff_totp(self, staff: User) -> None:
        """The demo staff's authenticator secret, and how to get a code without an authenticator app."""
        device = staff_auth.enrol(staff)
        out = self.stdout.write
        out(f"  secret TOTP (application d'authentification) : {staff_auth.secret_base32(device)}")
        out(f"  {staff_auth.provisioning_uri(device)}")
        out(f"  code du moment, sans application : DEBUG=true python manage.py staff_totp {DEMO_STAFF[0]} --code\n")
