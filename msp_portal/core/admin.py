from django.contrib import admin

from .models import AuditEntry, OutboxEvent, WorkerHeartbeat


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


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """Read-only: events are written by services and dispatched by workers."""

    list_display = ("id", "topic", "client", "idempotency_key", "created_at", "dispatched_at")
    list_filter = ("topic", ("dispatched_at", admin.EmptyFieldListFilter), "client")
    search_fields = ("topic", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("client",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
