"""GET /communes/{insee}/audit: a commune's audit log (the log itself is the audit app's, below this one)."""

from django.db.models import QuerySet
from rest_framework import generics

from audit.models import AuditEntry
from audit.serializers import AuditEntrySerializer

from .views_base import CommuneScopedMixin


class CommuneAuditList(CommuneScopedMixin, generics.ListAPIView):
    """The audit log of a commune, newest first: for its mayors, its territories' operators and staff."""

    serializer_class = AuditEntrySerializer
    commune_access = "audit"

    def get_queryset(self) -> QuerySet[AuditEntry]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEntry.objects.none()
        return AuditEntry.objects.filter(commune=self.get_commune()).order_by("-at", "-id")
