from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.exceptions import ValidationError

from accounts.models import User
from accounts.phone import normalize_mobile
from communes.models import Commune
from communes.services import commune_enroll


class Command(BaseCommand):
    help = "Inscrit une commune au dispositif et nomme son premier maire : enroll_commune 06128 --mayor 0612345678"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("insee")
        parser.add_argument("--mayor", help="numéro de mobile du maire (créé s'il n'existe pas)")
        parser.add_argument("--name", default="", help="nom affiché du maire")

    def handle(self, *args: Any, insee: str, mayor: str | None, name: str, **options: Any) -> None:
        commune = Commune.objects.by_insee(insee)
        if commune is None:
            raise CommandError(f"Commune inconnue : {insee} (importez les communes : import_communes)")
        user = None
        if mayor:
            try:
                phone = normalize_mobile(mayor)
            except ValidationError as exc:
                detail = exc.detail
                raise CommandError(f"--mayor : {detail[0] if isinstance(detail, list) else detail}") from None
            user, _ = User.objects.get_or_create(phone=phone, defaults={"display_name": name})
        commune_enroll(commune=commune, mayor=user)
        self.stdout.write(self.style.SUCCESS(f"{commune} est inscrite" + (" ; maire nommé." if user else ".")))
