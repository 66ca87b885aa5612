"""Reads for the staff client pages that gather several apps: a client's open tickets in
figures, its SLA compliance this month, its checks by state. Each is one query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from tickets.models import SlaRank, SlaTimer, Ticket, TicketQuerySet


@dataclass(frozen=True)
class OpenTickets:
    """A client's open tickets in figures, from the stored SLA rank."""

    total: int
    breached: int
    at_risk: int
    unassigned: int


def open_ticket_figures(tickets: TicketQuerySet) -> OpenTickets:
    """How many of these tickets are open, breached, at risk, unassigned (one query)."""
    figures = (
        tickets.open()
        .order_by()
        .aggregate(
            total=Count("pk"),
            breached=Count("pk", filter=Q(sla_rank=SlaRank.BREACHED)),
            at_risk=Count("pk", filter=Q(sla_rank=SlaRank.AT_RISK)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        )
    )
    return OpenTickets(**figures)


def most_urgent(tickets: TicketQuerySet) -> TicketQuerySet:
    """Open tickets, most urgent first: breached, at risk, then by the next SLA due time (the
    queue's order, on its index), then by priority and age."""
    return tickets.open().order_by(
        "sla_rank", F("sla_due_at").asc(nulls_last=True), "priority", "created_at", "pk"
    )


def open_first(tickets: TicketQuerySet) -> TicketQuerySet:
    """Open tickets first (most urgent first), then the others, the latest first."""
    done = Case(
        When(status__in=Ticket.DONE_STATUSES, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return tickets.annotate(is_done=done).order_by(
        "is_done",
        "sla_rank",
        F("sla_due_at").asc(nulls_last=True),
        "-created_at",
        "-pk",
    )


@dataclass(frozen=True)
class Compliance:
    """One kind of SLA timer over a period: how many stopped met, how many breached."""

    kind: str
    label: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        """Share met, rounded to one decimal; None when nothing was measured."""
        if not self.total:
            return None
        return round(100 * self.met / self.total, 1)


COMPLIANCE_KINDS = (SlaTimer.Kind.FIRST_RESPONSE, SlaTimer.Kind.RESOLUTION)


def month_bounds(
    time_zone: str, *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The current month in this zone: its first instant and ``now``."""
    now = now or timezone.now()
    local = timezone.localtime(now, ZoneInfo(time_zone))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, now


def sla_compliance(
    timers: QuerySet[SlaTimer], *, start: dt.datetime, end: dt.datetime
) -> list[Compliance]:
    """First response and resolution timers that stopped between start and end, met or breached
    (one query over the stored outcomes)."""
    rows = (
        timers.filter(
            state=SlaTimer.State.STOPPED,
            kind__in=COMPLIANCE_KINDS,
            outcome__in=[SlaTimer.Outcome.MET, SlaTimer.Outcome.BREACHED],
            stopped_at__gte=start,
            stopped_at__lte=end,
        )
        .order_by()
        .values("kind")
        .annotate(
            met=Count("pk", filter=Q(outcome=SlaTimer.Outcome.MET)),
            breached=Count("pk", filter=Q(outcome=SlaTimer.Outcome.BREACHED)),
        )
    )
    found = {row["kind"]: row for row in rows}
    labels = dict(SlaTimer.Kind.choices)
    return [
        Compliance(
            kind=kind,
            label=str(labels[kind]),
            met=found.get(kind, {}).get("met", 0),
            breached=found.get(kind, {}).get("breached", 0),
        )
        for kind in COMPLIANCE_KINDS
    ]
