"""The /healthz line "vigilance": each configured source, and since when it fails. A failing source never fails
/healthz (the service itself is fine); staff read it there and in the admin (VigilanceSourceStatus)."""

from django.conf import settings
from django.utils import timezone

from ..models import VigilanceSourceStatus


def check_vigilance() -> str:
    configured = [name for name, url in (("vigicrues", settings.VIGICRUES_URL),
                                          ("meteoalarm", settings.METEOALARM_FEED_URL)) if url]  # fmt: skip
    if settings.CAP_FEED_URLS:
        configured.append("cap")
    if not configured:
        return "ok (aucune source configurée)"
    statuses = {status.name: status for status in VigilanceSourceStatus.objects.all()}
    parts = [_line(name, statuses) for name in configured]
    parts += [_line(name, statuses) for name in sorted(statuses) if name.startswith("cap ") and statuses[name].last_error]
    return "ok: " + "; ".join(parts)


def _line(name: str, statuses: dict[str, VigilanceSourceStatus]) -> str:
    status = statuses.get(name)
    if status is None or status.last_attempt_at is None:
        return f"{name} pas encore lue"
    if status.last_error:
        since = timezone.localtime(status.last_error_at).strftime("%d/%m %H:%M") if status.last_error_at else "?"
        return f"{name} EN ÉCHEC ({status.consecutive_failures} fois, dernière {since}) : {status.last_error}"
    read = timezone.localtime(status.last_success_at).strftime("%d/%m %H:%M") if status.last_success_at else "?"
    return f"{name} lue {read}"
