"""Admin for contracts, SLA policies and calendars.

Calendars are validated by the SLA core itself (overlapping windows, a week without business
hours), and every saved edit counts a new version: running timers keep the rules they started
with until an admin applies the new ones to open tickets (the ticket admin's rebuild action,
or ``manage.py sla_rebuild``).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services, sla
from .models import (
    WEEKDAY_KEYS,
    BusinessCalendar,
    BusinessHours,
    Contract,
    Holiday,
    SLAPolicy,
    SLASnapshot,
    SLATarget,
)


class BusinessHoursFormSet(BaseInlineFormSet):
    """The week as submitted must make a valid calendar for the SLA core."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        weekly: dict[str, list[list[str]]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None:
                continue
            end = data["end"]
            weekly.setdefault(WEEKDAY_KEYS[data["weekday"]], []).append(
                [f"{data['start']:%H:%M}", "24:00" if end == dt.time(0) else f"{end:%H:%M}"]
            )
        try:
            sla.Calendar.from_spec({"tz": self.instance.time_zone or "UTC", "weekly": weekly})
        except sla.CalendarHasNoBusinessHours:
            raise ValidationError(
                _("A calendar needs business hours: add at least one opening window.")
            ) from None
        except sla.InvalidCalendar as exc:
            raise ValidationError(
                _("These opening hours are not valid: %(reason)s"), params={"reason": exc}
            ) from None


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    formset = BusinessHoursFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "time_zone", "holiday_country", "version", "updated_at")
    list_filter = ("time_zone", "holiday_country")
    search_fields = ("name", "description")
    inlines = [BusinessHoursInline, HolidayInline]
    actions = ["add_public_holidays"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            services.calendar_changed(calendar=form.instance)

    @admin.action(description=_("Add public holidays for this year and next"))
    def add_public_holidays(self, request, queryset) -> None:
        year = timezone.localdate().year
        for calendar in queryset:
            try:
                added = services.calendar_add_public_holidays(
                    calendar=calendar, years=[year, year + 1]
                )
            except ValidationError as exc:
                self.message_user(request, f"{calendar}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(calendar)s: %(count)d holidays added.")
                % {"calendar": calendar, "count": added},
                messages.SUCCESS,
            )


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("name", "calendar", "date", "end_date", "recurring", "closed_from", "closed_to")
    list_filter = ("calendar", "recurring")
    search_fields = ("name",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        services.calendar_changed(calendar=obj.calendar)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        services.calendar_changed(calendar=obj.calendar)


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name", "priority_change_anchor", "warning_percent", "critical_percent", "version",
    )  # fmt: skip
    list_filter = ("priority_change_anchor",)
    search_fields = ("name", "description")
    inlines = [SLATargetInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if change:
            services.policy_changed(policy=form.instance)


@admin.register(SLASnapshot)
class SLASnapshotAdmin(admin.ModelAdmin):
    """Read-only: the rules tickets were opened under."""

    list_display = ("policy", "policy_version", "calendar", "calendar_version", "created_at")
    list_filter = ("policy", "calendar")
    search_fields = ("policy__name", "calendar__name", "digest")
    readonly_fields = (
        "policy", "calendar", "policy_version", "calendar_version", "digest", "spec", "created_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ContractForm(forms.ModelForm):
    """A contract covers sites and assets of its own client only."""

    class Meta:
        model = Contract
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields shown

    def clean(self) -> dict:
        data = super().clean()
        client = data.get("client")
        if client is not None:
            for field in ("covered_sites", "covered_assets"):
                foreign = [str(o) for o in data.get(field) or [] if o.client_id != client.pk]
                if foreign:
                    self.add_error(
                        field,
                        _("These belong to another client: %(names)s.")
                        % {"names": ", ".join(foreign)},
                    )
        return data


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractForm
    list_display = (
        "reference", "title", "client", "status", "billing_model", "start_date", "end_date",
        "sla_policy",
    )  # fmt: skip
    list_filter = ("status", "billing_model", "auto_renew", "sla_policy", "client")
    search_fields = ("reference", "title", "client__name")
    autocomplete_fields = ("client",)
    filter_horizontal = ("covered_sites", "covered_assets")
    date_hierarchy = "start_date"


class EditedOnParentAdmin(admin.ModelAdmin):
    """Listed for reading; edited on their calendar or policy, where the whole is validated
    and versioned."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BusinessHours)
class BusinessHoursAdmin(EditedOnParentAdmin):
    list_display = ("calendar", "weekday", "start", "end")
    list_filter = ("calendar", "weekday")
    search_fields = ("calendar__name",)


@admin.register(SLATarget)
class SLATargetAdmin(EditedOnParentAdmin):
    list_display = (
        "policy", "priority", "first_response_minutes", "resolution_minutes",
        "next_response_minutes", "calendar",
    )  # fmt: skip
    list_filter = ("policy", "priority")
    search_fields = ("policy__name",)
