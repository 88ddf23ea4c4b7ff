"""Admin: outbox messages with their delivery counts, deliveries, devices, opt-outs, console messages.

No phone number or token is shown where a list would spread them: deliveries name the user only.
"""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from .models import Delivery, DeliveryStatus, Device, Message, SmsOptOut

# The admin's classes are generic for the type checker only (not subscriptable at run time).
if TYPE_CHECKING:
    MessageAdminBase = admin.ModelAdmin[Message]
    DeliveryAdminBase = admin.ModelAdmin[Delivery]
    DeviceAdminBase = admin.ModelAdmin[Device]
    SmsOptOutAdminBase = admin.ModelAdmin[SmsOptOut]
else:
    MessageAdminBase = DeliveryAdminBase = DeviceAdminBase = SmsOptOutAdminBase = admin.ModelAdmin

_COUNTED = [DeliveryStatus.PENDING, DeliveryStatus.CHECKING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
            DeliveryStatus.UNKNOWN]  # fmt: skip


@admin.register(Message)
class MessageAdmin(MessageAdminBase):
    list_display = ["id", "kind", "commune", "title", "urgent", "status", "created_at", *[f"n_{s}" for s in _COUNTED]]
    list_filter = ["kind", "status", "urgent"]
    search_fields = ["title", "commune__name", "commune__insee"]
    raw_id_fields = ["commune", "replaces"]
    readonly_fields = ["status", "plan_cursor", "lease_until", "planned_at", "created_at"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        counts = {f"_n_{s}": Count("deliveries", filter=Q(deliveries__status=s)) for s in _COUNTED}
        return super().get_queryset(request).select_related("commune").annotate(**counts)


def _count_column(status: str) -> object:
    def column(self: MessageAdmin, obj: Message) -> int:
        return getattr(obj, f"_n_{status}", 0)

    column.short_description = DeliveryStatus(status).label  # type: ignore[attr-defined]
    column.admin_order_field = f"_n_{status}"  # type: ignore[attr-defined]
    return column


for _status in _COUNTED:
    setattr(MessageAdmin, f"n_{_status}", _count_column(_status))


@admin.register(Delivery)
class DeliveryAdmin(DeliveryAdminBase):
    list_display = ["id", "message_id", "user_id", "channel", "status", "attempts", "provider_status", "error_code",
                    "segments", "created_at", "sent_at"]  # fmt: skip
    list_filter = ["channel", "status", "provider_status"]
    search_fields = ["=message__id", "=provider_id"]
    raw_id_fields = ["message", "user"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    list_select_related = False
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(Device)
class DeviceAdmin(DeviceAdminBase):
    list_display = ["id", "user", "platform", "active", "deactivated_reason", "updated_at"]
    list_filter = ["platform", "active"]
    raw_id_fields = ["user"]
    exclude = ["fcm_token"]


@admin.register(SmsOptOut)
class SmsOptOutAdmin(SmsOptOutAdminBase):
    list_display = ["id", "phone", "created_at"]
    search_fields = ["phone"]
