"""The mailboxes mail in reads and every message it read: kept in ``tickets`` (its
migrations and admin), apart from the ticket models for size. ``tickets.models`` re-exports
them, so ``from tickets.models import InboundMessage`` keeps working."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.core.tenancy import StaffOnlyQuerySet

from ..models import Queue, Ticket, TicketEvent


def _default_unknown_sender_policy() -> str:
    return settings.MAIL_IN_UNKNOWN_SENDER_POLICY


class Mailbox(models.Model):
    """An IMAP mailbox the poller reads; each one is polled on its own, under a lease."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS (usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")
        NONE = "none", _("None (loopback or tests only)")

    class ProcessedAction(models.TextChoices):
        MOVE = "move", _("Move to a folder")
        SEEN = "seen", _("Mark as read")
        DELETE = "delete", _("Delete")

    class UnknownSenderPolicy(models.TextChoices):
        REJECT = "reject", _("Reject with a polite reply")
        HOLD = "hold", _("Hold for triage")

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(
        _("e-mail address"),
        blank=True,
        help_text=_("The address this mailbox receives; mail from it is never answered."),
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("connection security"), max_length=10, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("user name"), max_length=255)
    password = models.CharField(_("password"), max_length=255, blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_action = models.CharField(
        _("once read"),
        max_length=10,
        choices=ProcessedAction.choices,
        default=ProcessedAction.SEEN,
    )
    processed_folder = models.CharField(
        _("move to folder"), max_length=255, blank=True, help_text=_("For “Move to a folder”.")
    )
    unknown_sender_policy = models.CharField(
        _("unknown senders"),
        max_length=10,
        choices=UnknownSenderPolicy.choices,
        default=_default_unknown_sender_policy,
    )
    default_queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue for new tickets"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    # The poll's claim: set by a conditional UPDATE, so two workers never read one mailbox.
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True, editable=False)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """One message read from a mailbox: its raw copy, kept first, and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received, not yet processed")
        TICKET_OPENED = "ticket_opened", _("Ticket opened")
        REPLIED = "replied", _("Added to a ticket")
        HELD = "held", _("Held for triage")
        REJECTED = "rejected", _("Rejected")
        IGNORED_LOOP = "ignored_loop", _("Ignored (automatic reply or bounce)")
        RATE_LIMITED = "rate_limited", _("Rate-limited")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")
        AMBIGUOUS_SENDER = "ambiguous_sender", _("Sender is a contact of several clients")
        UNSIGNED_REFERENCE = "unsigned_reference", _("Unsigned reference")
        NOT_PARTICIPANT = "not_participant", _("Sender is not a participant of the ticket")
        STAFF_SENDER = "staff_sender", _("Sent by staff without a ticket reference")
        FORWARD_UNKNOWN = "forward_unknown", _("Forwarded by staff; original sender unknown")
        AUTOMATIC = "automatic", _("Automatic reply or bounce")
        OWN_ADDRESS = "own_address", _("Sent from one of our own addresses")
        FLOOD = "flood", _("Too many messages from this sender")
        TOO_LARGE = "too_large", _("Message too large")
        UNPARSEABLE = "unparseable", _("Message could not be read")
        ERROR = "error", _("Processing error")

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="messages"
    )
    dedupe_key = models.CharField(
        _("message key"),
        max_length=255,
        editable=False,
        help_text=_("The Message-ID, or a hash of the message when it has none."),
    )
    uid = models.CharField(_("IMAP UID"), max_length=40, blank=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    raw = models.BinaryField(_("raw message"), editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    truncated = models.BooleanField(_("raw copy truncated"), default=False)
    body_text = models.TextField(
        _("text"), blank=True, help_text=_("The plain text read from it, quoted history trimmed.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    reason = models.CharField(
        _("reason"), max_length=30, choices=Reason.choices, blank=True, default=""
    )
    error = models.TextField(_("error"), blank=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    event = models.ForeignKey(
        TicketEvent,
        verbose_name=_("timeline entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("polite reply sent"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triaged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("stored"), default=timezone.now)

    # Raw mail may quote anything: MSP staff only, through the admin triage.
    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "dedupe_key"], name="inbound_message_once_per_mailbox"
            )
        ]
        indexes = [
            models.Index(fields=["sender", "created_at"], name="inbound_sender_at"),
            models.Index(fields=["status", "created_at"], name="inbound_status_at"),
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or '-'}"
