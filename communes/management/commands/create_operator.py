from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.exceptions import ValidationError

from accounts.models import User
from accounts.phone import normalize_mobile
from communes.models import TerritoryKind, TerritoryOperator
from communes.territories import find_territory


class Command(BaseCommand):
    help = ("Crée un opérateur de territoire (intercommunalité par son SIREN, ou département) : "
            "create_operator 0612345678 --epci 200039915")  # fmt: skip

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--epci", metavar="SIREN")
        group.add_argument("--departement")
        parser.add_argument("--name", default="", help="nom affiché (service, personne)")

    def handle(self, *args: Any, phone: str, epci: str | None, departement: str | None, name: str,
               **options: Any) -> None:  # fmt: skip
        try:
            phone = normalize_mobile(phone)
        except ValidationError as exc:
            detail = exc.detail
            raise CommandError(f"numéro : {detail[0] if isinstance(detail, list) else detail}") from None
        kind, code = (TerritoryKind.EPCI, epci) if epci else (TerritoryKind.DEPARTEMENT, departement or "")
        territory = find_territory(kind, code)
        if territory is None:
            raise CommandError(f"Territoire inconnu : {kind} {code}")
        with transaction.atomic():
            user, _ = User.objects.get_or_create(phone=phone, defaults={"display_name": name or territory.name})
            TerritoryOperator.objects.get_or_create(user=user, kind=kind, code=code)
        self.stdout.write(self.style.SUCCESS(f"Opérateur créé (#{user.pk}) pour : {territory.name} ({kind} {code})"))
