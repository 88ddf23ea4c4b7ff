from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuthToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["id", "phone", "display_name", "is_staff", "date_joined"]
    search_fields = ["phone", "display_name"]
    list_filter = ["is_staff", "is_active"]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        (_("Profil"), {"fields": ["display_name", "preferences"]}),
        (_("Droits"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "password1", "password2"]})]


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "device_name", "created_at", "last_used_at"]
    raw_id_fields = ["user"]
    exclude = ["key_hash"]
