from django.contrib import admin

from .models import Check, CheckResult, CheckStateChange, MaintenanceWindow


@admin.register(Check)
class CheckAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "client",
        "kind",
        "state",
        "enabled",
        "interval_seconds",
        "last_run_at",
        "next_run_at",
    )
    list_filter = ("kind", "state", "enabled", "client")
    search_fields = ("name", "client__name", "asset__name")
    autocomplete_fields = ("client", "asset")
    readonly_fields = ("state", "state_changed_at", "last_run_at", "open_ticket")


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ("monitor", "outcome", "latency_ms", "message", "checked_at")
    list_filter = ("outcome",)
    search_fields = ("monitor__name", "message")
    list_select_related = ("monitor",)
    date_hierarchy = "checked_at"


@admin.register(CheckStateChange)
class CheckStateChangeAdmin(admin.ModelAdmin):
    list_display = ("monitor", "from_state", "to_state", "at", "reason")
    list_filter = ("to_state",)
    search_fields = ("monitor__name", "reason")
    list_select_related = ("monitor",)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("name", "client", "starts_at", "ends_at", "recurrence")
    list_filter = ("recurrence", "client")
    search_fields = ("name", "reason", "client__name")
    autocomplete_fields = ("client",)
    filter_horizontal = ("checks",)
