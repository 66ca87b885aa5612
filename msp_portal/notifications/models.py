"""E-mail notifications about tickets: one row per message, and who wants which kind."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.accounts.models import Role
from msp_portal.core.tenancy import StaffOnlyQuerySet


class Kind(models.TextChoices):
    """What a notification is about; each kind can be turned off by the people it goes to."""

    TICKET_OPENED = "ticket_opened", _("Acknowledgement of a new ticket")
    TICKET_REPLY = "ticket_reply", _("Reply from the support team")
    TICKET_RESOLVED = "ticket_resolved", _("Ticket resolved")
    CLIENT_REPLY = "client_reply", _("Reply from a client")
    SLA_BREACH = "sla_breach", _("SLA target missed")


#: The kinds a client's contact receives (with or without a portal login).
CONTACT_KINDS = (Kind.TICKET_OPENED, Kind.TICKET_REPLY, Kind.TICKET_RESOLVED)
#: The kinds each staff role can receive.
STAFF_KINDS = {
    Role.ADMIN: (Kind.CLIENT_REPLY,),
    Role.TECHNICIAN: (Kind.CLIENT_REPLY,),
    Role.MANAGER: (Kind.CLIENT_REPLY, Kind.SLA_BREACH),
}


def kinds_for(user) -> tuple[str, ...]:
    """The kinds of notification meant for this user's role (what their preferences list)."""
    if user.is_client_side:
        return CONTACT_KINDS
    return STAFF_KINDS.get(user.role, ())


class Audience(models.TextChoices):
    """Which side of the MSP a recipient is on: it decides the link a message carries."""

    CLIENT = "client", _("Client")
    STAFF = "staff", _("MSP staff")


class NotificationQuerySet(StaffOnlyQuerySet):
    def due(self, now) -> NotificationQuerySet:
        """Messages waiting for an attempt whose time has come and that nobody holds."""
        return self.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED],
            next_attempt_at__lte=now,
        )

    def parked(self) -> NotificationQuerySet:
        return self.filter(status=Notification.Status.PARKED)


class Notification(models.Model):
    """One e-mail about one ticket to one recipient, unique per effect: sent at most once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        PARKED = "parked", _("Parked")
        SKIPPED = "skipped", _("Skipped")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    outbox_event = models.ForeignKey(
        "core.OutboxEvent",
        verbose_name=_("event"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The reply or status change the message tells of, re-checked public when it is sent.
    ticket_event = models.ForeignKey(
        "tickets.TicketEvent",
        verbose_name=_("timeline entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recipient = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=500)
    context = models.JSONField(_("details"), default=dict, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=2000, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # The sender's lease, set by the conditional update that claims the row: a second worker
    # cannot send the same message meanwhile; it lapses if the sender dies mid-attempt.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    parked_at = models.DateTimeField(_("parked"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="notification_due",
                condition=Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["ticket", "created_at"], name="notification_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; no row means the kind is on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"
