from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .audit import audit_record
from .models import AuditEntry, BeatLease, OutboxEvent, WorkerHeartbeat
from .outbox import outbox_requeue


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ("at", "action", "actor", "client", "object_type", "object_id", "ip_address")
    list_filter = ("action", "client")
    search_fields = ("action", "actor__email", "object_id", "ip_address")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at", "hostname")
    search_fields = ("name", "hostname")


class ParkedFilter(admin.SimpleListFilter):
    """Parked events are the ones an administrator must look at."""

    title = _("parked")
    parameter_name = "parked"

    def lookups(self, request, model_admin):
        return [("yes", _("Parked")), ("no", _("Not parked"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.parked()
        if self.value() == "no":
            return queryset.filter(parked_at__isnull=True)
        return queryset


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Read-only: events are written by services and dispatched by workers. A parked event
    shows its last error and can be re-queued."""

    list_display = (
        "id",
        "topic",
        "client",
        "idempotency_key",
        "created_at",
        "dispatched_at",
        "attempts",
        "parked_at",
    )
    list_filter = (
        ParkedFilter,
        "topic",
        ("dispatched_at", admin.EmptyFieldListFilter),
        "client",
    )
    search_fields = ("topic", "idempotency_key", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("client",)
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Re-queue the selected parked events"))
    def requeue(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.parked().values_list("pk", flat=True))
            count = outbox_requeue(event_ids=ids)
            if count:
                audit_record(
                    actor=request.user,
                    action="outbox.requeued",
                    request=request,
                    data={"events": ids},
                )
        self.message_user(
            request,
            ngettext(
                "%(count)d parked event re-queued.",
                "%(count)d parked events re-queued.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(BeatLease)
class BeatLeaseAdmin(admin.ModelAdmin):
    """Read-only: which beat sends the periodic tasks, and until when (see core/beat.py)."""

    list_display = ("name", "holder", "expires_at")
    search_fields = ("name", "holder")
    date_hierarchy = "expires_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
