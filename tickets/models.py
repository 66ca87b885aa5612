"""Tickets, their append-only timeline, attachments and time logged against them.

Rows here are written only by ``tickets.services``; nothing else changes a ticket's state.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Priority, TicketStatus
from msp_portal.core.tenancy import StaffOnlyQuerySet, TenantQuerySet


class Impact(models.IntegerChoices):
    HIGH = 1, _("The whole company or a critical service")
    MEDIUM = 2, _("A team, a site or an important service")
    LOW = 3, _("One person")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("Work is stopped")
    MEDIUM = 2, _("Work is degraded")
    LOW = 3, _("It can wait")


# ITIL-style matrix: impact x urgency -> priority. Both axes run 1 (high) to 3 (low).
PRIORITY_MATRIX: dict[tuple[int, int], str] = {
    (1, 1): Priority.P1, (1, 2): Priority.P2, (1, 3): Priority.P3,
    (2, 1): Priority.P2, (2, 2): Priority.P3, (2, 3): Priority.P4,
    (3, 1): Priority.P3, (3, 2): Priority.P4, (3, 3): Priority.P4,
}  # fmt: skip


def priority_for(impact: int, urgency: int) -> str:
    """The priority derived from impact and urgency."""
    return PRIORITY_MATRIX[(int(impact), int(urgency))]


class Queue(models.Model):
    """A team's inbox of tickets (service desk, network, projects...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """What a ticket is about (hardware, e-mail, backup...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    client_visible = models.BooleanField(_("offered in the portal"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketSequence(models.Model):
    """The counter behind human ticket numbers; one row, locked while a ticket is numbered."""

    name = models.CharField(max_length=30, unique=True, default="ticket")
    last_value = models.PositiveBigIntegerField(default=1000)

    class Meta:
        verbose_name = _("ticket number sequence")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class SlaRank(models.IntegerChoices):
    """Where a ticket's SLA stands, most urgent first: the queue's primary sort key."""

    BREACHED = 0, _("Breached")
    AT_RISK = 1, _("At risk")
    RUNNING = 2, _("On track")
    PAUSED = 3, _("Paused")
    NONE = 4, _("No running clock")


class TicketQuerySet(TenantQuerySet):
    def for_client_user(self, user) -> TicketQuerySet:
        """A client user sees the tickets they opened, requested or are copied on."""
        mine = Q(created_by=user)
        contact = getattr(user, "contact", None)
        if contact is not None:
            copied = Ticket.cc_contacts.through.objects.filter(
                ticket_id=OuterRef("pk"), contact_id=contact.pk
            )
            mine |= Q(contact_id=contact.pk) | Exists(copied)
        return self.filter(mine)

    def open(self) -> TicketQuerySet:
        return self.exclude(status__in=Ticket.DONE_STATUSES)


class Ticket(models.Model):
    """A request or incident for one client, with its SLA clock and timeline."""

    Status = TicketStatus
    Priority = Priority
    DONE_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        PORTAL = "portal", _("Client portal")
        EMAIL = "email", _("E-mail")
        MONITORING = "monitoring", _("Monitoring")
        API = "api", _("API")

    number = models.PositiveBigIntegerField(_("number"), unique=True, editable=False)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("requester"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    cc_contacts = models.ManyToManyField(
        "clients.Contact", verbose_name=_("copied contacts"), blank=True, related_name="+"
    )
    asset = models.ForeignKey(
        "clients.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    contract = models.ForeignKey(
        "contracts.Contract",
        verbose_name=_("contract"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    sla_snapshot = models.ForeignKey(
        "contracts.SLASnapshot",
        verbose_name=_("SLA rules"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The contract's SLA as it was when the ticket opened (or was last rebuilt)."),
    )
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=30, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Impact.choices, default=Impact.LOW
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM
    )
    priority = models.CharField(
        _("priority"),
        max_length=2,
        choices=Priority.choices,
        default=Priority.P4,
        editable=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.STAFF
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Stored SLA summary, kept by tickets.services.sla whenever the timers change or the sweep
    # sees one cross a threshold, so the queue sorts and filters on an index, not on timers.
    sla_rank = models.PositiveSmallIntegerField(
        _("SLA state"), choices=SlaRank.choices, default=SlaRank.NONE, editable=False
    )
    sla_due_at = models.DateTimeField(
        _("next SLA due"), null=True, blank=True, editable=False,
        help_text=_("The earliest due instant among the ticket's running SLA timers."),
    )  # fmt: skip
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
        editable=False,
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "status"], name="ticket_client_status"),
            models.Index(fields=["status", "priority"], name="ticket_status_priority"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["created_at"], name="ticket_created_at"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_at"),
            # The queue's default order (most urgent first) over open tickets, for keyset pages.
            models.Index(
                fields=["sla_rank", "sla_due_at", "id"],
                name="ticket_open_urgency",
                condition=~Q(status__in=["resolved", "closed"]),
            ),
            # "My open tickets" in the same order, and open tickets per assignee (workload).
            models.Index(
                fields=["assignee", "sla_rank", "sla_due_at", "id"],
                name="ticket_open_assignee",
                condition=~Q(status__in=["resolved", "closed"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="ticket_impact_urgency_range",
                condition=Q(impact__gte=1, impact__lte=3, urgency__gte=1, urgency__lte=3),
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.number])

    @property
    def reference(self) -> str:
        """The number people quote: T-1234."""
        return f"T-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status not in self.DONE_STATUSES

    def get_portal_url(self) -> str:
        return reverse("portal:ticket_detail", args=[self.number])


class EventQuerySet(TenantQuerySet):
    def for_client_admin(self, user) -> EventQuerySet:
        return self.filter(public=True)

    def for_client_user(self, user) -> EventQuerySet:
        visible = Ticket.objects.for_user(user).values("pk")
        return self.filter(public=True, ticket__in=visible)


class TicketEvent(models.Model):
    """One entry of a ticket's append-only timeline."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Ticket opened")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        STATUS = "status", _("Status change")
        PRIORITY = "priority", _("Priority change")
        ASSIGNMENT = "assignment", _("Assignment")
        FIELD = "field", _("Field change")
        TIME = "time", _("Time logged")
        SLA = "sla", _("SLA event")
        MONITORING = "monitoring", _("Monitoring event")

    class Actor(models.TextChoices):
        STAFF = "staff", _("MSP staff")
        CLIENT = "client", _("Client")
        SYSTEM = "system", _("System")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.CharField(_("actor"), max_length=10, choices=Actor.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_contact = models.ForeignKey(
        "clients.Contact",
        verbose_name=_("author contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The client's contact, for messages that came without a login (e-mail)."),
    )
    public = models.BooleanField(_("visible to the client"), default=True)
    automated = models.BooleanField(_("automated"), default=False)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def author_name(self) -> str:
        if self.author_id:
            return str(self.author)
        if self.author_contact_id:
            return str(self.author_contact)
        return str(_("System"))


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a generated name: the client's name for it never reaches the disk."""
    suffix = PurePath(filename).suffix.lower()[:10]
    if not suffix[1:].isalnum():
        suffix = ""
    return f"attachments/{instance.client_id}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(TenantQuerySet):
    def for_client_admin(self, user) -> AttachmentQuerySet:
        return self.filter(Q(event__isnull=True) | Q(event__public=True))

    def for_client_user(self, user) -> AttachmentQuerySet:
        visible = Ticket.objects.for_user(user).values("pk")
        return self.for_client_admin(user).filter(ticket__in=visible)


class Attachment(models.Model):
    """A file attached to a ticket, or to one event of its timeline."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        TicketEvent,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name


class TimeEntry(models.Model):
    """Time a technician spent on a ticket."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="time_entries"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    billable = models.BooleanField(_("billable"), default=True)
    work_date = models.DateField(_("date worked"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("logged"), default=timezone.now)

    # Entries carry internal notes: clients see hours only as totals computed for them.
    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-work_date", "-id"]
        indexes = [models.Index(fields=["client", "work_date"], name="time_client_date")]
        constraints = [
            models.CheckConstraint(
                name="time_entry_minutes_range", condition=Q(minutes__gt=0, minutes__lte=1440)
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min - {self.ticket.reference}"


_NO_INSTANT = Value(None, output_field=models.DateTimeField())


class SlaTimerQuerySet(TenantQuerySet):
    def for_client_admin(self, user) -> SlaTimerQuerySet:
        return self

    def for_client_user(self, user) -> SlaTimerQuerySet:
        return self.filter(ticket__in=Ticket.objects.for_user(user).values("pk"))

    def alerts_due(self, now) -> SlaTimerQuerySet:
        """Timers with a warning, critical or breach instant passed and not yet handled."""
        return self.filter(next_alert_at__lte=now)


class SlaTimer(models.Model):
    """One SLA clock of a ticket (first response, resolution, or one next-response cycle),
    as last computed: stored so that lists, dashboards and the sweep never recompute it."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")
        NEXT_RESPONSE = "next_response", _("Next response")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    class Outcome(models.TextChoices):
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")

    class Level(models.IntegerChoices):
        NONE = 0, _("None")
        WARNING = 1, _("Warning")
        CRITICAL = 2, _("Critical")
        BREACHED = 3, _("Breached")

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="sla_timers"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    started_at = models.DateTimeField(_("started"))
    elapsed_seconds = models.FloatField(_("elapsed business seconds"), default=0)
    computed_at = models.DateTimeField(_("computed"))
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    warning_at = models.DateTimeField(_("warning at"), null=True, blank=True)
    critical_at = models.DateTimeField(_("critical at"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    breach_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    # The sweep's cursor: the highest level already escalated, and, derived from it by the
    # database, when the next level falls due. Generated, so no writer can let them disagree,
    # and the per-event recompute writes the timer's values without reading the row first.
    alerted_level = models.PositiveSmallIntegerField(
        _("escalated level"), choices=Level.choices, default=Level.NONE
    )
    next_alert_at = models.GeneratedField(
        verbose_name=_("next escalation"),
        expression=Case(
            When(alerted_level__gte=3, then=_NO_INSTANT),
            When(
                ~Q(state="running"),
                then=Case(
                    When(breached=True, then=F("breach_at")),
                    default=_NO_INSTANT,
                ),
            ),
            When(alerted_level__lt=1, warning_at__isnull=False, then=F("warning_at")),
            When(alerted_level__lt=2, critical_at__isnull=False, then=F("critical_at")),
            When(breached=True, then=F("breach_at")),
            default=F("due_at"),
        ),
        output_field=models.DateTimeField(null=True),
        db_persist=True,
    )

    objects = SlaTimerQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        ordering = ["ticket", "kind", "cycle"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind", "cycle"], name="sla_timer_per_ticket_kind_cycle"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_alert_at"],
                name="sla_timer_next_alert",
                condition=Q(next_alert_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"], name="sla_timer_running_due", condition=Q(state="running")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.get_kind_display()} #{self.cycle}"

    @property
    def target_seconds(self) -> int:
        return self.target_minutes * 60

    def risk_at(self, now) -> str:
        """ok / warning / critical / breached / n/a, from the stored instants."""
        if self.breached or (
            self.due_at is not None and self.state != "stopped" and now > self.due_at
        ):
            return "breached"
        if self.state == self.State.STOPPED:
            return "n/a"
        if self.critical_at is not None and now >= self.critical_at:
            return "critical"
        if self.warning_at is not None and now >= self.warning_at:
            return "warning"
        return "ok"


class SlaEscalation(models.Model):
    """One escalation of one timer at one level: the row that makes it happen exactly once."""

    client = models.ForeignKey(
        "clients.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("timer"), max_length=20, choices=SlaTimer.Kind.choices)
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=0)
    level = models.PositiveSmallIntegerField(_("level"), choices=SlaTimer.Level.choices)
    reached_at = models.DateTimeField(_("reached at"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("SLA escalation")
        verbose_name_plural = _("SLA escalations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "kind", "cycle", "level"], name="sla_escalation_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="sla_escalation_unsent",
                condition=Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.kind} {self.get_level_display()}"


class SavedView(models.Model):
    """A named set of queue filters: one person's own, or shared with the whole team."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(
        _("filters"), max_length=1000, blank=True, help_text=_("The queue's query string.")
    )
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        url = reverse("tickets:list")
        return f"{url}?{self.query}" if self.query else url


class CannedResponse(models.Model):
    """A reusable reply; placeholders such as {contact_name} are filled from the ticket."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text=_("Empty: offered to every technician."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


# --- Mail in (tickets/mailin) ----------------------------------------------------------------


# The mail-in models live beside their code; imported here so Django registers them with the
# ``tickets`` app and callers import every ticket model from one place (the migrations name the
# default policy's function here too).
from .mailin.models import (  # noqa: E402, F401
    InboundMessage,
    Mailbox,
    _default_unknown_sender_policy,
)
