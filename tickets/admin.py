"""Admin for tickets: reading and reference data. State changes go through tickets.services."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import (
    Attachment,
    CannedResponse,
    Category,
    Queue,
    SavedView,
    SlaEscalation,
    SlaTimer,
    Ticket,
    TicketEvent,
    TimeEntry,
)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "email")
    search_fields = ("name", "email")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "client_visible")
    list_filter = ("client_visible",)
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "created_at")
    list_filter = (("owner", admin.EmptyFieldListFilter),)
    search_fields = ("title", "body")
    raw_id_fields = ("owner",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "shared", "query")
    list_filter = ("shared",)
    search_fields = ("name", "owner__email")
    raw_id_fields = ("owner",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "author", "public", "body")
    readonly_fields = fields


class TimeEntryInline(ReadOnlyInline):
    model = TimeEntry
    fields = ("work_date", "technician", "minutes", "billable", "note")
    readonly_fields = fields


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets are read here; their state changes only through the services (timeline, SLA)."""

    list_display = (
        "reference",
        "subject",
        "client",
        "status",
        "priority",
        "assignee",
        "source",
        "created_at",
    )
    list_filter = (
        "status", "priority", "source", "queue", "category", "client",
        "contract__sla_policy", "contract__calendar",
    )  # fmt: skip
    search_fields = ("number", "subject", "description", "client__name")
    date_hierarchy = "created_at"
    list_select_related = ("client", "assignee")
    inlines = [TicketEventInline, TimeEntryInline]
    actions = ["apply_current_sla_rules"]

    @admin.action(description=_("Apply the contract's current SLA rules (open tickets)"))
    def apply_current_sla_rules(self, request, queryset) -> None:
        """After an edit of a policy or calendar: filter by it, select, apply."""
        moved = services.sla_rebuild(tickets=queryset.open().iterator())
        self.message_user(
            request,
            ngettext(
                "%(count)d open ticket now runs on the current rules.",
                "%(count)d open tickets now run on the current rules.",
                moved,
            )
            % {"count": moved},
            messages.SUCCESS,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "actor", "author", "public", "created_at")
    list_filter = ("kind", "actor", "public")
    search_fields = ("ticket__number", "body")
    list_select_related = ("ticket", "author")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "ticket", "content_type", "size", "uploaded_by", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "ticket__number")
    # Not the file field: its link would point under MEDIA_URL, which is never served. The
    # download goes through the view that checks the tenant and forces a download.
    exclude = ("file",)
    readonly_fields = ("download", "client", "ticket", "event", "size", "content_type")

    @admin.display(description=_("file"))
    def download(self, obj: Attachment) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}" download>{}</a>', reverse("tickets:attachment", args=[obj.pk]), obj
        )


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = ("ticket", "technician", "minutes", "billable", "work_date")
    list_filter = ("billable", "technician", "client")
    search_fields = ("ticket__number", "note")
    date_hierarchy = "work_date"
    readonly_fields = ("client", "ticket", "technician")

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SlaTimer)
class SlaTimerAdmin(ReadOnlyAdmin):
    """Stored by the SLA services; read here."""

    list_display = (
        "ticket",
        "kind",
        "cycle",
        "priority",
        "state",
        "due_at",
        "breached",
        "outcome",
        "alerted_level",
    )
    list_filter = ("kind", "state", "breached", "outcome", "priority")
    search_fields = ("ticket__number", "ticket__subject")
    list_select_related = ("ticket",)


@admin.register(SlaEscalation)
class SlaEscalationAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "level", "reached_at", "sent_at", "attempts", "last_error")
    list_filter = ("level", "kind", "sent_at")
    search_fields = ("ticket__number", "last_error")
    list_select_related = ("ticket",)
