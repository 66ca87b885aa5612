"""The rollups in the admin: read-only, derived rows (rebuild them with ``rollups_rebuild``)."""

from django.contrib import admin

from .models import DurationDaily, MixDaily, RollupState, SlaDaily, TimeDaily


class ReadOnlyAdmin(admin.ModelAdmin):
    date_hierarchy = "day"
    list_select_related = ("client",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaDaily)
class SlaDailyAdmin(ReadOnlyAdmin):
    list_display = (
        "day", "client", "priority", "opened", "resolved", "first_response_met",
        "first_response_breached", "resolution_met", "resolution_breached",
    )  # fmt: skip
    list_filter = ("priority", "day")
    search_fields = ("client__name",)


@admin.register(MixDaily)
class MixDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "client", "category", "source", "opened")
    list_filter = ("source", "category", "day")
    search_fields = ("client__name", "category__name")
    list_select_related = ("client", "category")


@admin.register(DurationDaily)
class DurationDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "client", "kind", "priority", "bucket", "count", "total_seconds")
    list_filter = ("kind", "priority", "day")
    search_fields = ("client__name",)


@admin.register(TimeDaily)
class TimeDailyAdmin(ReadOnlyAdmin):
    list_display = ("day", "client", "contract", "technician", "billable", "minutes", "entries")
    list_filter = ("billable", "day")
    search_fields = ("client__name", "contract__reference", "technician__full_name")
    list_select_related = ("client", "contract", "technician")


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ("name", "computed_at", "first_day", "last_day")
    list_filter = ("computed_at",)
    search_fields = ("name",)
    readonly_fields = ("name", "computed_at", "first_day", "last_day", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False
