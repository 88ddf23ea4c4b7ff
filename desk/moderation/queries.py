"""What the moderation pages read: a commune's reports (never its mayor's broadcasts, which have their own pages)."""

from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from alerts.models import Alert, AlertKind, AlertStatus
from alerts.sensitive import LABELS, find_sensitive
from communes.maps import CommuneMap, MapPoint
from communes.models import Commune, Membership

QUEUE_PAGE_SIZE = 20
PUBLISHED_SHOWN = 20


def commune_reports(commune: Commune) -> QuerySet[Alert]:
    """The commune's residents' reports, with who reported them and the quartier of their membership."""
    quartier = Membership.objects.filter(user=OuterRef("reporter_id"), commune=commune).values("neighbourhood__name")[:1]
    reports = Alert.objects.filter(commune=commune, kind=AlertKind.REPORT)
    return reports.select_related("reporter", "moderated_by", "neighbourhood").annotate(reporter_neighbourhood=Subquery(quartier))


def pending_queue(commune: Commune) -> QuerySet[Alert]:
    """The moderation queue: oldest first, as the API's `?status=pending`, so that nobody waits behind newcomers."""
    return commune_reports(commune).filter(status=AlertStatus.PENDING).order_by("created_at", "pk")


def open_published(commune: Commune) -> list[Alert]:
    """The latest published reports not yet closed: those a « fin d'alerte » or an erratum may still follow."""
    published = commune_reports(commune).filter(status=AlertStatus.APPROVED, closed_at__isnull=True)
    return list(published.order_by("-moderated_at", "-pk")[:PUBLISHED_SHOWN])


def report_or_404(commune: Commune, pk: int) -> Alert:
    """One report of this commune; another commune's (or a broadcast) is a 404, as if it did not exist."""
    return get_object_or_404(commune_reports(commune).prefetch_related("followups"), pk=pk)


@dataclass(frozen=True)
class Flag:
    term: str
    about: str  # what the term names ("la religion"), empty when today's word list no longer knows it


def flags(alert: Alert) -> list[Flag]:
    """The words a moderator should look at: what the sensitive-words check finds in the text today (its list may
    have grown since the report came in: approving it would then be refused), and the terms recorded on it."""
    found = {finding.term: str(LABELS[finding.group]) for finding in find_sensitive(alert.description)}
    for term in alert.flagged_terms or []:
        found.setdefault(str(term), next((str(LABELS[f.group]) for f in find_sensitive(str(term))), ""))
    return [Flag(term, about) for term, about in sorted(found.items())]


def report_label(alert: Alert) -> str:
    return _("Signalement n° %(number)s : %(category)s") % {"number": alert.pk, "category": alert.get_category_display()}


def report_map(commune: Commune, alerts: list[Alert], caption: str) -> CommuneMap:
    """The reports' exact positions: the desk is for the commune's moderators, who see them as the API shows them."""
    points = [
        MapPoint(alert.latitude, alert.longitude, report_label(alert), reverse("desk:report", args=[commune.insee, alert.pk]))
        for alert in alerts
        if alert.latitude is not None and alert.longitude is not None
    ]
    return CommuneMap(commune, points, caption)
