from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.exceptions import ValidationError

from accounts.models import User
from accounts.phone import normalize_mobile
from communes.models import Commune, GendarmeArea


class Command(BaseCommand):
    help = "Crée un compte gendarme pour un département ou des communes : create_gendarme 0612345678 --departement 06"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--departement")
        group.add_argument("--communes", nargs="+", metavar="INSEE")
        parser.add_argument("--name", default="", help="nom affiché (unité)")

    def handle(self, *args: Any, phone: str, departement: str | None, communes: list[str] | None, name: str,
               **options: Any) -> None:  # fmt: skip
        try:
            phone = normalize_mobile(phone)
        except ValidationError as exc:
            detail = exc.detail
            raise CommandError(f"numéro : {detail[0] if isinstance(detail, list) else detail}") from None
        if departement and not Commune.objects.filter(departement=departement).exists():
            raise CommandError(f"Département inconnu : {departement}")
        found = [self._commune(code) for code in communes or []]
        with transaction.atomic():
            user, _ = User.objects.get_or_create(phone=phone, defaults={"display_name": name or "Gendarmerie"})
            area, _ = GendarmeArea.objects.update_or_create(user=user, defaults={"departement": departement or ""})
            area.communes.set(found)
        where = f"département {departement}" if departement else ", ".join(c.insee for c in found)
        self.stdout.write(self.style.SUCCESS(f"Gendarme créé (#{user.pk}) pour : {where}"))

    def _commune(self, insee: str) -> Commune:
        commune = Commune.objects.by_insee(insee)
        if commune is None:
            raise CommandError(f"Commune inconnue : {insee}")
        return commune
