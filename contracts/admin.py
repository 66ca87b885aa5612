from django.contrib import admin

from .models import BusinessCalendar, BusinessHours, Contract, Holiday, SLAPolicy, SLATarget


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "version", "updated_at")
    list_filter = ("time_zone",)
    search_fields = ("name", "description")
    inlines = [BusinessHoursInline, HolidayInline]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "date", "end_date", "recurring", "closed_from", "closed_to")
    list_filter = ("calendar", "recurring")
    search_fields = ("name",)
    date_hierarchy = "date"


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority_change_anchor",
        "warning_percent",
        "critical_percent",
        "version",
    )
    list_filter = ("priority_change_anchor",)
    search_fields = ("name", "description")
    inlines = [SLATargetInline]


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "client",
        "status",
        "billing_model",
        "start_date",
        "end_date",
        "sla_policy",
    )
    list_filter = ("status", "billing_model", "auto_renew", "sla_policy", "client")
    search_fields = ("reference", "title", "client__name")
    autocomplete_fields = ("client",)
    filter_horizontal = ("covered_sites", "covered_assets")
    date_hierarchy = "start_date"


@admin.register(BusinessHours)
class BusinessHoursAdmin(admin.ModelAdmin):
    list_display = ("calendar", "weekday", "start", "end")
    list_filter = ("calendar", "weekday")
    search_fields = ("calendar__name",)


@admin.register(SLATarget)
class SLATargetAdmin(admin.ModelAdmin):
    list_display = (
        "policy",
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "next_response_minutes",
        "calendar",
    )
    list_filter = ("policy", "priority")
    search_fields = ("policy__name",)
