from django.contrib import admin

from .models import ConsoleMessage


@admin.register(ConsoleMessage)
class ConsoleMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "channel", "title", "created_at"]
    list_filter = ["channel"]
    readonly_fields = ["channel", "recipient", "title", "body", "key", "created_at"]
