from django.contrib import admin
from django.http import HttpRequest

from .models import OfficialFigure


@admin.register(OfficialFigure)
class OfficialFigureAdmin(admin.ModelAdmin):
    """Read-only: these rows come from the SSMSI files (manage.py import_ssmsi), never from hand edits."""

    list_display = ["indicator", "level", "code", "year", "count", "rate_per_thousand", "withheld", "source"]
    list_filter = ["level", "year", "withheld", "indicator_slug"]
    search_fields = ["=code", "indicator"]
    ordering = ["level", "code", "indicator_slug", "-year"]
    # The commune-level base has millions of rows: counting them all on every page is too slow.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OfficialFigure | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OfficialFigure | None = None) -> bool:
        return False
