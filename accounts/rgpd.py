"""RGPD: export everything held about a person, and erase them.

Each app registers what it holds (in its AppConfig.ready), so the export and the erasure stay complete
as apps are added: `register(name, export=..., erase=...)`.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction

from .models import AuthToken, OtpCode, User

Exporter = Callable[[User], Any]
Eraser = Callable[[User], None]

_exporters: dict[str, Exporter] = {}
_erasers: dict[str, Eraser] = {}


def register(name: str, *, export: Exporter | None = None, erase: Eraser | None = None) -> None:
    if export is not None:
        _exporters[name] = export
    if erase is not None:
        _erasers[name] = erase


def _export_account(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "phone": str(user.phone),
        "display_name": user.display_name,
        "preferences": user.preferences,
        "date_joined": user.date_joined.isoformat(),
        "sessions": [
            {"device_name": t.device_name, "created_at": t.created_at.isoformat(),
             "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
            for t in user.auth_tokens.order_by("created_at")
        ],
    }  # fmt: skip


def _erase_account(user: User) -> None:
    AuthToken.objects.filter(user=user).delete()
    OtpCode.objects.filter(phone=str(user.phone)).delete()


register("account", export=_export_account, erase=_erase_account)


def export_user(user: User) -> dict[str, Any]:
    return {name: export(user) for name, export in _exporters.items()}


@transaction.atomic
def erase_user(user: User) -> None:
    """Every app forgets the person (anonymising what must stay), then the account goes."""
    for erase in _erasers.values():
        erase(user)
    user.delete()
