"""Exports in the admin: read-only, for support (who asked, when, did it work)."""

from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "requested_by", "status", "progress", "size", "created_at")
    list_filter = ("status", "include_internal", "created_at")
    search_fields = ("client__name", "requested_by__email")
    list_select_related = ("client", "requested_by")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
