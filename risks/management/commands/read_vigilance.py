"""manage.py read_vigilance: one read of every configured source now (what beat runs every few minutes)."""

from typing import Any

from django.core.management.base import BaseCommand

from risks.models import VigilanceSourceStatus
from risks.vigilance.reader import read_all


class Command(BaseCommand):
    help = "Lit une fois chaque source de vigilance configurée, puis affiche leur état."

    def handle(self, *args: Any, **options: Any) -> None:
        read_all()
        for status in VigilanceSourceStatus.objects.all():
            state = f"en échec : {status.last_error}" if status.last_error else "lue"
            self.stdout.write(f"{status.name}: {state}")
