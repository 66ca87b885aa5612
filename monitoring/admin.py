from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from . import services
from .models import (
    Check,
    CheckResult,
    CheckRollup,
    CheckStateChange,
    MaintenanceWindow,
    MonitoringOutage,
)
from .probes import validate_config


class CheckAdminForm(forms.ModelForm):
    """The raw settings, checked by the same rules as the staff pages (and the probes)."""

    class Meta:
        model = Check
        fields = [
            "client", "asset", "name", "kind", "config", "interval_seconds",
            "retry_interval_seconds", "timeout_seconds", "grace_seconds", "failure_threshold",
            "recovery_threshold", "degraded_latency_ms", "resolve_ticket_on_recovery", "enabled",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        kind, config = data.get("kind"), data.get("config")
        touched = self.instance.pk is None or {"kind", "config"} & set(self.changed_data)
        if kind and config is not None and touched:
            try:
                data["config"] = validate_config(kind, config)
            except ValidationError as error:
                for key, errors in error.error_dict.items():
                    self.add_error(key if key in self.fields else "config", errors)
        return data


@admin.register(Check)
class CheckAdmin(admin.ModelAdmin):
    """Changes go through monitoring.services, as on the staff pages: audited, and pausing
    or resuming through ``enabled`` writes the state change."""

    form = CheckAdminForm
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
    list_filter = ("kind", "state", "enabled", "flapping", "client")
    search_fields = ("name", "client__name", "asset__name")
    autocomplete_fields = ("client", "asset")
    readonly_fields = (
        "state",
        "state_changed_at",
        "last_run_at",
        "next_run_at",
        "last_latency_ms",
        "open_ticket",
    )

    def get_readonly_fields(self, request, obj=None):
        # A check does not move to another client: create one there instead.
        return (*self.readonly_fields, "client") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = {n: data[n] for n in form.changed_data if n in services.CHECK_FIELDS}
            services.check_update(check=obj, by=request.user, **fields)
            if "enabled" in form.changed_data:
                action = services.check_resume if data["enabled"] else services.check_pause
                action(check=obj, by=request.user)
        else:
            fields = {n: data[n] for n in services.CHECK_FIELDS if n in data}
            created = services.check_create(client=data["client"], by=request.user, **fields)
            if not data.get("enabled", True):
                services.check_pause(check=created, by=request.user)
            obj.pk = created.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        services.check_delete(check=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for check in queryset:
            services.check_delete(check=check, by=request.user)


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


@admin.register(CheckRollup)
class CheckRollupAdmin(admin.ModelAdmin):
    list_display = (
        "monitor",
        "period",
        "start",
        "successes",
        "degraded",
        "failures",
        "errors",
        "latency_avg_ms",
        "latency_p95_ms",
    )
    list_filter = ("period",)
    search_fields = ("monitor__name", "client__name")
    list_select_related = ("monitor",)
    date_hierarchy = "start"


@admin.register(MonitoringOutage)
class MonitoringOutageAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "confirmed_at",
        "ended_at",
        "is_open",
        "clients_failing",
        "clients_seen",
        "held_transitions",
    )
    list_filter = ("is_open",)
    search_fields = ("started_at",)
    date_hierarchy = "started_at"
