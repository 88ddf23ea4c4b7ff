from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest

from .models import VigicruesSectionCommune, VigilanceSourceStatus

# The admin's classes are generic for the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    SourceStatusAdminBase = admin.ModelAdmin[VigilanceSourceStatus]
    SectionCommuneAdminBase = admin.ModelAdmin[VigicruesSectionCommune]
else:
    SourceStatusAdminBase = SectionCommuneAdminBase = admin.ModelAdmin


@admin.register(VigilanceSourceStatus)
class VigilanceSourceStatusAdmin(SourceStatusAdminBase):
    """What staff check when a vigilance source fails: written by the reader only, so read-only here."""

    list_display = ["name", "last_success_at", "document_time", "last_error_at", "consecutive_failures", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: VigilanceSourceStatus | None = None) -> bool:
        return False


@admin.register(VigicruesSectionCommune)
class VigicruesSectionCommuneAdmin(SectionCommuneAdminBase):
    list_display = ["section", "section_name", "insee", "origin"]
    list_filter = ["origin"]
    search_fields = ["section", "section_name", "insee"]
