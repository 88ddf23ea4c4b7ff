from django.contrib import admin

from .models import Alert, CommunePolicy, Confirmation, FollowUp


class ConfirmationInline(admin.TabularInline):
    model = Confirmation
    extra = 0
    raw_id_fields = ["reporter"]


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "commune", "kind", "category", "status", "urgent", "created_at", "confirmations_count"]
    list_filter = ["status", "kind", "category", "urgent"]
    raw_id_fields = ["commune", "reporter", "moderated_by", "neighbourhood"]
    filter_horizontal = ["target_neighbourhoods"]
    inlines = [ConfirmationInline, FollowUpInline]
    date_hierarchy = "created_at"


@admin.register(CommunePolicy)
class CommunePolicyAdmin(admin.ModelAdmin):
    list_display = ["commune", "escalation_minutes"]
    raw_id_fields = ["commune"]
