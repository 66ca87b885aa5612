"""Admin for notifications (MSP administrators only, like the whole admin): the read-only log
of every message, with a "Re-queue" action for parked ones, and users' preferences."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was sent to whom, and what failed with which error."""

    list_display = (
        "id", "ticket", "kind", "recipient", "subject", "status", "attempts", "sent_at",
        "parked_at", "created_at",
    )  # fmt: skip
    list_filter = ("status", "kind", "audience", "language", "client")
    search_fields = (
        "recipient", "subject", "message_id", "idempotency_key", "last_error", "client__name",
    )  # fmt: skip
    date_hierarchy = "created_at"
    list_select_related = ("ticket",)
    readonly_fields = (
        "client", "ticket", "outbox_event", "ticket_event", "kind", "audience", "user", "contact",
        "recipient", "language", "subject", "context", "idempotency_key", "message_id", "status",
        "attempts", "last_error", "next_attempt_at", "sent_at", "parked_at", "created_at",
    )  # fmt: skip
    exclude = ("claimed_until",)
    actions = ["requeue"]

    @admin.action(description=_("Re-queue the selected parked notifications"))
    def requeue(self, request, queryset) -> None:
        count = services.notifications_requeue(
            notification_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d notification re-queued.", "%(count)d notifications re-queued.", count
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
