"""What the risks app holds about a person, for the RGPD export and erasure (accounts/rgpd.py).

A warning a mayor issued is the commune's public act: it stays, without its author, as an approved report stays
without its reporter. A delegation is the person's own and goes with them."""

from typing import Any

from accounts.models import User

from .models import AreaWarning, RiskWarning, WarningDelegate, WarningPartnership


def export_risks(user: User) -> dict[str, Any]:
    delegations = WarningDelegate.objects.filter(user=user).select_related("commune").order_by("granted_at")
    issued = RiskWarning.objects.filter(issued_by=user).select_related("commune").order_by("sent_at")
    return {
        "warning_delegations": [{"commune": d.commune.insee, "granted_at": d.granted_at.isoformat()} for d in delegations],
        "warnings_issued": [{"id": w.pk, "commune": w.commune.insee, "msg_type": w.msg_type, "title": w.title,
                             "sent_at": w.sent_at.isoformat()} for w in issued],
    }  # fmt: skip


def erase_risks(user: User) -> None:
    WarningDelegate.objects.filter(user=user).delete()
    WarningDelegate.objects.filter(granted_by=user).update(granted_by=None)
    RiskWarning.objects.filter(issued_by=user).update(issued_by=None)
    AreaWarning.objects.filter(issued_by=user).update(issued_by=None)  # its `sender` names a territory or town hall
    WarningPartnership.objects.filter(granted_by=user).update(granted_by=None)
