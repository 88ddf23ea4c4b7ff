"""Enrol a staff member's authenticator app (TOTP): the operator runs this and shows them the QR code.

`manage.py staff_totp PHONE` creates the secret (or shows the existing one); `--reset` replaces it (lost
phone); `--code` prints the current code, with DEBUG only (the demo, without an authenticator app).
The output holds the secret: show it to the staff member only, never paste it into a ticket or a log.
"""

import io
from typing import Any

import segno
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import serializers

from accounts import staff_auth
from accounts.models import User
from accounts.phone import normalize_mobile


class Command(BaseCommand):
    help = "Inscrit l'application d'authentification (TOTP) d'un membre de l'équipe et affiche son QR code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help="numéro de téléphone du compte de l'équipe")
        parser.add_argument("--reset", action="store_true", help="remplace le secret existant (téléphone perdu)")
        parser.add_argument("--code", action="store_true", help="affiche le code du moment (DEBUG seulement)")
        parser.add_argument("--no-qr", action="store_true", help="sans QR code (l'URI et le secret seulement)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._staff(options["phone"])
        if options["code"]:
            self._print_code(user)
            return
        existing = staff_auth.confirmed_device(user)
        device = staff_auth.enrol(user, reset=options["reset"])
        if existing is not None and device.pk == existing.pk:
            self.stdout.write(_("Ce compte a déjà un secret (ci-dessous) ; --reset le remplace."))
        self.print_device(device, qr=not options["no_qr"])

    def _staff(self, phone: str) -> User:
        try:
            phone = normalize_mobile(phone)
        except serializers.ValidationError as exc:
            raise CommandError(_("Numéro de téléphone invalide.")) from exc
        user = User.objects.filter(phone=phone).first()
        if user is None or not user.is_staff:
            raise CommandError(_("Aucun compte de l'équipe avec ce numéro (createsuperuser d'abord)."))
        return user

    def _print_code(self, user: User) -> None:
        if not settings.DEBUG:
            raise CommandError(_("--code ne s'utilise qu'avec DEBUG=true (démonstration)."))
        device = staff_auth.confirmed_device(user)
        if device is None:
            raise CommandError(_("Ce compte n'a pas encore de secret : lancez la commande sans --code."))
        self.stdout.write(staff_auth.current_code(device))

    def print_device(self, device: TOTPDevice, *, qr: bool = True) -> None:
        uri = staff_auth.provisioning_uri(device)
        self.stdout.write(_("À scanner avec l'application d'authentification (ou saisir le secret) :"))
        if qr:
            buffer = io.StringIO()
            segno.make(uri, error="m").terminal(out=buffer, compact=True)
            self.stdout.write(buffer.getvalue(), ending="")
        self.stdout.write(uri)
        self.stdout.write(_("Secret : %(secret)s") % {"secret": staff_auth.secret_base32(device)})
