from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    RiskPolicy,
    RiskWarning,
    VigicruesSectionCommune,
    VigilanceChange,
    VigilanceDecision,
    VigilanceSourceStatus,
    WarningDelegate,
)

# The admin's classes are generic for the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    RiskWarningAdminBase = admin.ModelAdmin[RiskWarning]
    VigilanceChangeAdminBase = admin.ModelAdmin[VigilanceChange]
    VigilanceDecisionAdminBase = admin.ModelAdmin[VigilanceDecision]
    WarningDelegateAdminBase = admin.ModelAdmin[WarningDelegate]
    RiskPolicyAdminBase = admin.ModelAdmin[RiskPolicy]
    SourceStatusAdminBase = admin.ModelAdmin[VigilanceSourceStatus]
    SectionCommuneAdminBase = admin.ModelAdmin[VigicruesSectionCommune]
else:
    RiskWarningAdminBase = VigilanceChangeAdminBase = VigilanceDecisionAdminBase = admin.ModelAdmin
    WarningDelegateAdminBase = RiskPolicyAdminBase = admin.ModelAdmin
    SourceStatusAdminBase = SectionCommuneAdminBase = admin.ModelAdmin


class ReadOnly:
    """What was sent, or read from the State, is a record: the admin shows it and changes nothing (a warning is
    corrected by its update, through the services that send it and write the audit log). Deleting stays possible:
    the admin refuses to delete a commune or a person whose related rows it may not delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RiskWarning)
class RiskWarningAdmin(ReadOnly, RiskWarningAdminBase):
    list_display = ["id", "commune", "msg_type", "hazard", "level", "title", "sent_at", "expires_at", "origin"]
    list_filter = ["msg_type", "hazard", "level", "origin"]
    search_fields = ["title", "commune__insee"]
    raw_id_fields = ["commune", "thread", "references", "issued_by"]
    date_hierarchy = "sent_at"


@admin.register(VigilanceChange)
class VigilanceChangeAdmin(ReadOnly, VigilanceChangeAdminBase):
    list_display = ["id", "commune", "source", "hazard", "previous_level", "level", "observed_at", "relayed_as"]
    list_filter = ["source", "hazard", "level"]
    raw_id_fields = ["commune", "relayed_as"]
    date_hierarchy = "observed_at"


@admin.register(VigilanceDecision)
class VigilanceDecisionAdmin(ReadOnly, VigilanceDecisionAdminBase):
    list_display = ["change", "outcome", "automatic", "decided_by", "decided_at"]
    list_filter = ["outcome", "automatic"]


@admin.register(WarningDelegate)
class WarningDelegateAdmin(ReadOnly, WarningDelegateAdminBase):
    """Granted and revoked by the commune's mayor (desk, API), so that each is in the commune's audit log."""

    list_display = ["commune", "user", "granted_by", "granted_at"]
    raw_id_fields = ["commune", "user", "granted_by"]


@admin.register(RiskPolicy)
class RiskPolicyAdmin(ReadOnly, RiskPolicyAdminBase):
    list_display = ["commune", "relay_red_automatically", "updated_at"]
    raw_id_fields = ["commune"]


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
