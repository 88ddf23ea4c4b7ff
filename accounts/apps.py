from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True  # this module holds two configs: this one is the app's
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import rgpd_sources, signin_cache
        from .middleware import restart_clocks

        rgpd_sources.connect()
        signin_cache.connect()
        user_logged_in.connect(restart_clocks, dispatch_uid="accounts.restart_session_clocks")


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, whose site asks for a session verified by a TOTP code (accounts/staff_auth.py)."""

    default = False
    default_site = "accounts.staff_auth.StaffAdminSite"
