"""Admin for webhooks (MSP administrators only, like the whole admin): subscriptions, a test
ping, re-enabling a disabled hook, and the read-only delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Topic, Webhook, WebhookDelivery


class WebhookForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=Webhook._meta.get_field("url").help_text,
    )
    events = forms.MultipleChoiceField(
        label=_("events"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "events", "client", "is_active")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = (
        "name", "url", "client", "is_active", "consecutive_failures", "disabled_at", "created_at",
    )  # fmt: skip
    list_filter = ("is_active", "client")
    search_fields = ("name", "url", "client__name")
    list_select_related = ("client",)
    readonly_fields = (
        "secret", "consecutive_failures", "disabled_at", "disabled_reason", "created_by",
        "created_at",
    )  # fmt: skip
    actions = ["send_test_ping", "re_enable"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Send a test event"))
    def send_test_ping(self, request, queryset) -> None:
        sent = 0
        for hook in queryset:
            try:
                services.webhook_ping(webhook=hook, actor=request.user, request=request)
            except ValidationError as exc:
                self.message_user(request, f"{hook}: {' '.join(exc.messages)}", messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d test event queued; see the deliveries for the response.",
                    "%(count)d test events queued; see the deliveries for the responses.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )

    @admin.action(description=_("Re-enable the selected webhooks"))
    def re_enable(self, request, queryset) -> None:
        enabled = sum(
            services.webhook_enable(webhook=hook, actor=request.user, request=request)
            for hook in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d webhook re-enabled.", "%(count)d webhooks re-enabled.", enabled)
            % {"count": enabled},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read-only: the log of what was sent and what the receiver answered."""

    list_display = (
        "id", "webhook", "topic", "status", "attempts", "response_status", "duration_ms",
        "next_attempt_at", "delivered_at", "created_at",
    )  # fmt: skip
    list_filter = ("status", "webhook", "outbox_event__topic")
    search_fields = ("webhook__name", "webhook__url", "outbox_event__idempotency_key", "error")
    date_hierarchy = "created_at"
    list_select_related = ("webhook", "outbox_event")
    readonly_fields = (
        "webhook", "outbox_event", "status", "attempts", "response_status", "response_body",
        "error", "duration_ms", "next_attempt_at", "delivered_at", "created_at", "history",
        "payload",
    )  # fmt: skip
    exclude = ("claimed_until",)

    @admin.display(description=_("event"), ordering="outbox_event__topic")
    def topic(self, obj: WebhookDelivery) -> str:
        return obj.outbox_event.topic

    @admin.display(description=_("payload"))
    def payload(self, obj: WebhookDelivery) -> str:
        return services.delivery_body(obj.outbox_event).decode()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
