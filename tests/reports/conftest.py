"""A small hand-built month for Globex (Montreal time) whose figures are known exactly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from monitoring.models import Check, CheckStateChange
from tests import factories
from tickets.models import SlaTimer, Ticket, TimeEntry

UTC = dt.UTC
#: The report's "now" in these tests: October 2026 is over, November is not.
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def timer(ticket, kind, *, state="stopped", outcome="", breached=False, breach_at=None,
          stopped_at=None, elapsed=0.0, cycle=0):  # fmt: skip
    return SlaTimer.objects.create(
        client=ticket.client, ticket=ticket, kind=kind, cycle=cycle, priority=ticket.priority,
        target_minutes=60, state=state, started_at=ticket.created_at, elapsed_seconds=elapsed,
        computed_at=ticket.created_at, breached=breached, breach_at=breach_at,
        stopped_at=stopped_at, outcome=outcome,
    )  # fmt: skip


@pytest.fixture
def october(globex, tech):
    """Globex's October 2026, in America/Montreal (UTC-4 until 1 November)."""
    contract = factories.ContractFactory(
        client=globex, reference="GX-1", title="Care", included_hours=Decimal(10),
        start_date=dt.date(2026, 1, 1),
    )  # fmt: skip
    tickets = {}
    for name, created, resolved in (
        ("t1", at(2026, 10, 1, 4, 30), None),  # 00:30 on 1 Oct in Montreal
        ("t2", at(2026, 10, 1, 3, 30), at(2026, 10, 5, 12)),  # 23:30 on 30 Sept in Montreal
        ("t3", at(2026, 11, 1, 3, 0), None),  # 23:00 on 31 Oct in Montreal
        ("t4", at(2026, 10, 10, 12), at(2026, 10, 12, 12)),
    ):
        ticket = factories.open_ticket(globex, subject=f"Globex {name}")
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created, resolved_at=resolved, contract=contract
        )
        ticket.refresh_from_db()
        tickets[name] = ticket
    SlaTimer.objects.filter(client=globex).delete()
    fr, res = SlaTimer.Kind.FIRST_RESPONSE, SlaTimer.Kind.RESOLUTION
    t1, t2, t3, t4 = (tickets[k] for k in ("t1", "t2", "t3", "t4"))
    timer(t1, fr, outcome="met", stopped_at=at(2026, 10, 1, 5), elapsed=600)
    timer(t3, fr, outcome="met", stopped_at=at(2026, 11, 1, 3, 30), elapsed=1200)
    timer(t4, fr, outcome="breached", breached=True, breach_at=at(2026, 10, 10, 15),
          stopped_at=at(2026, 10, 10, 18), elapsed=4000)  # fmt: skip
    timer(t2, fr, outcome="met", stopped_at=at(2026, 10, 1, 3, 45), elapsed=300)  # September
    timer(t2, res, outcome="met", stopped_at=at(2026, 10, 5, 12), elapsed=7200)
    timer(t4, res, outcome="met", stopped_at=at(2026, 10, 12, 12), elapsed=3600)
    timer(t1, res, state="running", breached=True, breach_at=at(2026, 10, 20, 12))
    timer(t3, res, state="running")
    timer(t1, SlaTimer.Kind.NEXT_RESPONSE, state="running", breached=True,
          breach_at=at(2026, 10, 21, 12))  # fmt: skip  # never counted
    check = factories.CheckFactory(client=globex, name="Web shop")
    late = factories.CheckFactory(client=globex, name="Added in November")
    Check.objects.filter(pk=check.pk).update(created_at=at(2026, 9, 1))
    Check.objects.filter(pk=late.pk).update(created_at=at(2026, 11, 15))
    for when, before, after in (
        (at(2026, 9, 15), "unknown", "up"),
        (at(2026, 10, 10, 12), "up", "down"),
        (at(2026, 10, 10, 12, 30), "down", "up"),
        (at(2026, 10, 20, 0), "up", "maintenance"),
        (at(2026, 10, 20, 2), "maintenance", "up"),
    ):
        CheckStateChange.objects.create(
            client=globex, monitor=check, from_state=before, to_state=after, at=when
        )
    for ticket, minutes, billable, day in (
        (t1, 90, True, dt.date(2026, 10, 3)),
        (t4, 30, False, dt.date(2026, 10, 31)),
        (t2, 60, True, dt.date(2026, 9, 30)),
        (t3, 45, True, dt.date(2026, 11, 1)),
    ):
        TimeEntry.objects.create(
            client=globex, ticket=ticket, technician=tech, minutes=minutes, billable=billable,
            work_date=day,
        )  # fmt: skip
    return {"contract": contract, "check": check, **tickets}
