"""Reads of tickets for pages: list filters, counts, the timeline, time logged.

Every function starts from ``for_user`` querysets, so callers cannot reach another client's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Count,
    Exists,
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

from .models import (
    Priority,
    SlaTimer,
    Ticket,
    TicketEvent,
    TicketQuerySet,
    TicketStatus,
    TimeEntry,
)
from .services.sla import snapshot_policy

#: "1234", "T-1234" or "t1234": a ticket number typed into the search box.
_NUMBER = re.compile(r"^(?:t-?)?(\d{1,18})$", re.IGNORECASE)

STATUS_OPEN = ""  # the list's default: every status that is not done
STATUS_ALL = "all"

SLA_BREACHED, SLA_AT_RISK, SLA_PAUSED, SLA_MET = "breached", "at_risk", "paused", "met"
SLA_STATES = (SLA_BREACHED, SLA_AT_RISK, SLA_PAUSED, SLA_MET)


def sla_state_filter(state: str, now: dt.datetime) -> Q:
    """Tickets whose stored timers are in an SLA state (indexed reads, nothing recomputed)."""
    timers = SlaTimer.objects.filter(ticket=OuterRef("pk"))
    late = Q(breached=True) | Q(state=SlaTimer.State.RUNNING, due_at__lt=now)
    if state == SLA_BREACHED:
        return Q(Exists(timers.filter(late)))
    if state == SLA_AT_RISK:
        return Q(
            Exists(
                timers.filter(
                    state=SlaTimer.State.RUNNING, breached=False, warning_at__lte=now,
                    due_at__gte=now,
                )
            )
        )  # fmt: skip
    if state == SLA_PAUSED:
        return Q(Exists(timers.filter(state=SlaTimer.State.PAUSED)))
    if state == SLA_MET:
        return Q(Exists(timers.filter(outcome=SlaTimer.Outcome.MET))) & ~Q(
            Exists(timers.filter(late))
        )
    raise ValueError(f"unknown SLA state {state!r}")


def next_sla_due() -> Subquery:
    """An annotation: the earliest due instant among the ticket's running timers."""
    return Subquery(
        SlaTimer.objects.filter(ticket=OuterRef("pk"), state=SlaTimer.State.RUNNING)
        .order_by("due_at")
        .values("due_at")[:1]
    )


def tickets_for_user(user) -> TicketQuerySet:
    """The tickets a user may see, with what list rows display."""
    return Ticket.objects.for_user(user).select_related("client", "assignee")


def ticket_search(
    tickets: TicketQuerySet,
    *,
    user,
    status: str = STATUS_OPEN,
    priority: str = "",
    client=None,
    assignee: str = "",
    q: str = "",
    sla: str = "",
    now: dt.datetime | None = None,
) -> TicketQuerySet:
    """Apply the ticket list's filters; open tickets come by their next SLA due time, then
    most urgent and oldest first."""
    if status == STATUS_OPEN:
        tickets = tickets.open()
    elif status != STATUS_ALL:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    if client is not None:
        tickets = tickets.filter(client=client)
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    q = (q or "").strip()
    if q:
        match = Q(subject__icontains=q)
        number = _NUMBER.match(q)
        if number:
            match |= Q(number=int(number[1]))
        tickets = tickets.filter(match)
    if sla:
        tickets = tickets.filter(sla_state_filter(sla, now or timezone.now()))
    tickets = tickets.annotate(next_due=next_sla_due())
    if status in (STATUS_ALL, *Ticket.DONE_STATUSES):
        return tickets.order_by("-updated_at", "-pk")
    return tickets.order_by(F("next_due").asc(nulls_last=True), "priority", "created_at", "pk")


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
