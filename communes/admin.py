from django.contrib import admin

from .models import Commune, GendarmeArea, Membership, Neighbourhood, TerritoryOperator


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["insee", "name", "type", "departement", "population", "enrolled"]
    list_filter = ["enrolled", "type", "region_name"]
    search_fields = ["insee", "search_name", "postal_codes"]
    readonly_fields = ["search_name"]


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "commune"]
    raw_id_fields = ["commune"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["id", "commune", "role", "status", "created_at"]
    list_filter = ["role", "status"]
    raw_id_fields = ["user", "commune", "neighbourhood", "decided_by"]


@admin.register(GendarmeArea)
class GendarmeAreaAdmin(admin.ModelAdmin):
    list_display = ["user", "departement"]
    raw_id_fields = ["user", "communes"]


@admin.register(TerritoryOperator)
class TerritoryOperatorAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "code", "created_at"]
    list_filter = ["kind"]
    search_fields = ["code"]
    raw_id_fields = ["user"]
