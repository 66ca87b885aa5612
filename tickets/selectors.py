"""Reads of tickets for pages: list filters, counts, the timeline, time logged.

Every function starts from ``for_user`` querysets, so callers cannot reach another client's rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from contracts import sla
from contracts.models import Contract
from msp_portal.accounts.models import Role

from .models import (
    CannedResponse,
    Priority,
    SlaTimer,
    Ticket,
    TicketEvent,
    TicketQuerySet,
    TicketStatus,
    TimeEntry,
)
from .services.sla import snapshot_policy


def tickets_for_user(user) -> TicketQuerySet:
    """The tickets a user may see, with what list rows display."""
    return Ticket.objects.for_user(user).select_related("client", "assignee")


def status_counts(tickets: QuerySet[Ticket]) -> list[dict[str, Any]]:
    """How many of these tickets are in each status, in workflow order (one query)."""
    counts = dict(tickets.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in TicketStatus.choices
        if value in counts
    ]


def open_ticket_count() -> Coalesce:
    """An annotation for client querysets: that client's open tickets, as a subquery."""
    per_client = (
        Ticket.objects.filter(client=OuterRef("pk"))
        .open()
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_client, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class TimelineEntry:
    """One event with its change spelled out from ``event.data`` for display."""

    event: TicketEvent
    change: dict[str, Any]


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _field_label(name: str) -> str:
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def describe_change(event: TicketEvent) -> dict[str, Any]:
    """What a status, priority, assignment, field or time event changed, in display words."""
    data = event.data or {}
    kind = event.kind
    if kind == TicketEvent.Kind.STATUS:
        return {
            "from": _label(TicketStatus, data.get("from")),
            "to": _label(TicketStatus, data.get("to")),
            "cause": data.get("cause", ""),
        }
    if kind == TicketEvent.Kind.PRIORITY:
        return {"from": _label(Priority, data.get("from")), "to": _label(Priority, data.get("to"))}
    if kind == TicketEvent.Kind.ASSIGNMENT:
        return {"from": data.get("from_name") or "", "to": data.get("to_name") or ""}
    if kind == TicketEvent.Kind.FIELD:
        return {
            "field": _field_label(data.get("field", "")),
            "from": data.get("from") or "",
            "to": data.get("to") or "",
        }
    if kind == TicketEvent.Kind.TIME:
        return {"minutes": data.get("minutes"), "billable": bool(data.get("billable"))}
    if kind == TicketEvent.Kind.CREATED:
        return {"source": _label(Ticket.Source, data.get("source"))}
    if kind == TicketEvent.Kind.SLA:
        return {
            "timer": _label(SlaTimer.Kind, data.get("timer")),
            "level": data.get("level"),
        }
    return {}


def ticket_timeline(ticket: Ticket, user) -> list[TimelineEntry]:
    """The events of one ticket this user may see (client users: public ones only), oldest first."""
    events = (
        TicketEvent.objects.for_user(user)
        .filter(ticket=ticket)
        .select_related("author", "author_contact")
        .order_by("created_at", "pk")
    )
    return [TimelineEntry(event, describe_change(event)) for event in events]


def ticket_time_entries(ticket: Ticket, user) -> tuple[list[TimeEntry], int]:
    """Time logged on one ticket, newest first, and the total minutes."""
    entries = list(
        TimeEntry.objects.for_user(user).filter(ticket=ticket).select_related("technician")
    )
    return entries, sum(entry.minutes for entry in entries)


@dataclass(frozen=True)
class MonthUsage:
    """Time logged on a contract's tickets during one month, against its included hours."""

    month: dt.date
    minutes: int
    billable_minutes: int
    included_minutes: int

    @property
    def percent(self) -> int | None:
        if not self.included_minutes:
            return None
        return round(100 * self.minutes / self.included_minutes)

    @property
    def over(self) -> bool:
        return bool(self.included_minutes) and self.minutes > self.included_minutes


def contract_month_usage(contract: Contract, user, *, today: dt.date) -> MonthUsage:
    """Minutes logged this month on the tickets of this contract's client linked to it."""
    month = today.replace(day=1)
    totals = (
        TimeEntry.objects.for_user(user)
        .filter(
            client_id=contract.client_id,
            ticket__contract=contract,
            work_date__gte=month,
            work_date__lte=today,
        )
        .aggregate(total=Sum("minutes"), billable_total=Sum("minutes", filter=Q(billable=True)))
    )
    return MonthUsage(
        month=month,
        minutes=totals["total"] or 0,
        billable_minutes=totals["billable_total"] or 0,
        included_minutes=int(contract.included_hours * 60),
    )


@dataclass(frozen=True)
class TimerView:
    """One SLA timer as a page shows it: what it is, where it stands, how much is left."""

    timer: SlaTimer
    risk: str
    remaining_seconds: float | None  # business time left, for a running or paused timer
    late_seconds: float | None  # business time past the due instant, once breached


def sla_timer_views(ticket: Ticket, user, *, now: dt.datetime | None = None) -> list[TimerView]:
    """The ticket's stored timers with their business time left or overdue, at ``now``."""
    now = now or timezone.now()
    timers = list(SlaTimer.objects.for_user(user).filter(ticket=ticket).order_by("kind", "cycle"))
    if not timers or ticket.sla_snapshot_id is None:
        return []
    policy = snapshot_policy(ticket.sla_snapshot)
    views = []
    for timer in timers:
        calendar = policy.targets[timer.priority].calendar
        remaining = late = None
        if timer.state == SlaTimer.State.RUNNING and timer.due_at is not None:
            if now <= timer.due_at:
                remaining = sla.business_seconds_between(calendar, now, timer.due_at)
            else:
                late = sla.business_seconds_between(calendar, timer.due_at, now)
        elif timer.state == SlaTimer.State.PAUSED:
            remaining = max(0.0, timer.target_seconds - timer.elapsed_seconds)
        views.append(TimerView(timer, timer.risk_at(now), remaining, late))
    return views


# -- the staff ticket page: side panel and canned responses ---------------------------------


def client_open_tickets(ticket: Ticket, user, *, limit: int = 5) -> list[Ticket]:
    """Up to ``limit + 1`` other open tickets of the ticket's client, most urgent first (one
    query; the extra row only tells the page that there are more)."""
    return list(
        Ticket.objects.for_user(user)
        .filter(client_id=ticket.client_id)
        .open()
        .exclude(pk=ticket.pk)
        .only("pk", "number", "subject", "status", "priority", "sla_rank", "sla_due_at")
        .order_by("sla_rank", F("sla_due_at").asc(nulls_last=True), "created_at", "pk")[: limit + 1]
    )


def asset_checks(asset, user) -> list:
    """The monitoring checks of one asset with their stored state, failing first (one query).

    Read through the reverse relation of ``clients.Asset``: ``tickets`` may not import
    ``monitoring`` (ARCHITECTURE.md), and these rows are only displayed, never changed.
    """
    if asset is None:
        return []
    order = {"down": 0, "degraded": 1, "unknown": 2, "maintenance": 3, "up": 4, "paused": 5}
    checks = asset.checks.for_user(user).only(
        "pk", "client_id", "asset_id", "name", "kind", "state", "state_changed_at", "enabled",
        "flapping", "last_message",
    )  # fmt: skip
    return sorted(checks, key=lambda check: (order.get(check.state, 9), check.name, check.pk))


def canned_responses_for(user) -> QuerySet[CannedResponse]:
    """The canned responses a member of staff may use: their own and the shared ones."""
    if user is None or not user.is_authenticated or not user.is_msp_staff:
        return CannedResponse.objects.none()
    return CannedResponse.objects.filter(Q(owner=user) | Q(owner__isnull=True)).order_by(
        "title", "pk"
    )


def canned_may_edit(user, canned: CannedResponse) -> bool:
    """One's own responses; the shared ones only for managers and administrators."""
    if canned.owner_id is not None:
        return canned.owner_id == user.pk
    return user.role in {Role.ADMIN, Role.MANAGER}


def canned_may_share(user) -> bool:
    return user.role in {Role.ADMIN, Role.MANAGER}


#: The placeholders a canned response may use, as ``{name}``.
CANNED_PLACEHOLDERS = (
    "contact_name",
    "contact_first_name",
    "ticket_reference",
    "ticket_subject",
    "client_name",
    "technician_name",
)


def canned_fill(text: str, *, ticket: Ticket, technician) -> str:
    """Replace the known placeholders with the ticket's values.

    Plain string replacement, never a template engine: a response's text cannot run anything.
    An unknown placeholder, or one whose value the ticket lacks (no contact), stays as typed so
    the technician sees what to complete.
    """
    contact = ticket.contact
    values = {
        "contact_name": contact.full_name if contact else "",
        "contact_first_name": contact.first_name if contact else "",
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
        "client_name": ticket.client.name,
        "technician_name": technician.get_full_name() if technician else "",
    }
    for name, value in values.items():
        if value:
            text = text.replace("{" + name + "}", value)
    return text
