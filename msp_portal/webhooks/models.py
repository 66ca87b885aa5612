"""Webhook subscriptions and their deliveries."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.core.tenancy import StaffOnlyQuerySet

from .targets import check_url


class Topic(models.TextChoices):
    """The events a webhook can subscribe to (outbox topics)."""

    TICKET_OPENED = "ticket.opened", _("Ticket opened")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated")
    TICKET_SLA_BREACHED = "ticket.sla_breached", _("Ticket SLA breached")
    CHECK_STATE_CHANGED = "check.state_changed", _("Check state changed")


#: Sent only by the admin's "send a test ping" action, to one hook; never subscribed to.
PING_TOPIC = "webhook.ping"


def new_secret() -> str:
    """A signing secret: 256 random bits, recognisable in a receiver's configuration."""
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookQuerySet(StaffOnlyQuerySet):
    def listening(self, *, topic: str, client_id: int | None) -> list[Webhook]:
        """The active hooks that receive this event: those for every client, and those scoped
        to the event's client. Topics are matched in Python (JSON containment is not portable
        to SQLite), over the handful of active hooks."""
        scope = Q(client__isnull=True)
        if client_id is not None:
            scope |= Q(client_id=client_id)
        return [hook for hook in self.filter(scope, is_active=True) if topic in hook.events]


class Webhook(models.Model):
    """A URL an MSP administrator registered to receive some events, signed with its secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"),
        max_length=500,
        help_text=_("http:// or https:// address that receives a signed JSON POST."),
    )
    events = models.JSONField(
        _("events"), default=list, help_text=_("The events sent to this address.")
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        help_text=_("Verify the X-MSP-Signature header of each delivery with it."),
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only this client's events; leave empty for every client."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Known topics only, and an address the portal may call."""
        super().clean()
        events = self.events if isinstance(self.events, list) else None
        if not events or not all(isinstance(t, str) for t in events):
            raise ValidationError({"events": _("Choose at least one event.")})
        unknown = sorted(set(events) - set(Topic.values))
        if unknown:
            raise ValidationError(
                {"events": _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}}
            )
        if self.url:
            check_url(self.url, field="url")


class WebhookDelivery(models.Model):
    """One outbox event sent to one hook: its attempts, the last response, what comes next."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")

    webhook = models.ForeignKey(
        Webhook, verbose_name=_("webhook"), on_delete=models.CASCADE, related_name="deliveries"
    )
    outbox_event = models.ForeignKey(
        "core.OutboxEvent",
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    history = models.JSONField(
        _("attempts log"),
        default=list,
        blank=True,
        help_text=_("Each attempt: when, the response status or error, and how long it took."),
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # The sender's lease: set by the conditional update that claims the delivery, so a second
    # worker cannot send it at the same time; it lapses if the sender dies mid-attempt.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "outbox_event"], name="webhook_delivery_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status__in=["pending", "failed"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.webhook} #{self.outbox_event_id}"
