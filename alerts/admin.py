from typing import TYPE_CHECKING

from django.contrib import admin

from .models import Alert, CommunePolicy, Confirmation, FollowUp

# The admin's classes are generic for the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    ConfirmationInlineBase = admin.TabularInline[Confirmation, Alert]
    FollowUpInlineBase = admin.TabularInline[FollowUp, Alert]
    AlertAdminBase = admin.ModelAdmin[Alert]
    CommunePolicyAdminBase = admin.ModelAdmin[CommunePolicy]
else:
    ConfirmationInlineBase = FollowUpInlineBase = admin.TabularInline
    AlertAdminBase = CommunePolicyAdminBase = admin.ModelAdmin


class ConfirmationInline(ConfirmationInlineBase):
    model = Confirmation
    extra = 0
    raw_id_fields = ["reporter"]


class FollowUpInline(FollowUpInlineBase):
    model = FollowUp
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Alert)
class AlertAdmin(AlertAdminBase):
    list_display = ["id", "commune", "kind", "category", "status", "urgent", "created_at", "confirmations_count"]
    list_filter = ["status", "kind", "category", "urgent"]
    raw_id_fields = ["commune", "reporter", "moderated_by", "neighbourhood"]
    filter_horizontal = ["target_neighbourhoods"]
    inlines = [ConfirmationInline, FollowUpInline]
    date_hierarchy = "created_at"


@admin.register(CommunePolicy)
class CommunePolicyAdmin(CommunePolicyAdminBase):
    list_display = ["commune", "escalation_minutes"]
    raw_id_fields = ["commune"]
