"""Pacing of the demo's past: status mix, weights, office hours, events placed in time."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from contracts.models import TicketStatus
from tickets.models import Ticket

Status = TicketStatus
Source = Ticket.Source

HISTORY_DAYS = 60
OPEN_FROM, OPEN_UNTIL = dt.time(8, 30), dt.time(18, 30)

# How many tickets end in each status (the monitoring incidents come on top).
STATUS_MIX = (
    (Status.CLOSED, 48),
    (Status.RESOLVED, 15),
    (Status.NEW, 8),
    (Status.OPEN, 10),
    (Status.IN_PROGRESS, 14),
    (Status.WAITING_ON_CUSTOMER, 8),
    (Status.WAITING_ON_THIRD_PARTY, 7),
)
# When tickets that ended in each status were opened, in days before now.
OPENED_DAYS_AGO = {
    Status.NEW: (0.0, 1.5),
    Status.OPEN: (0.2, 6),
    Status.IN_PROGRESS: (0.5, 14),
    Status.WAITING_ON_CUSTOMER: (1, 10),
    Status.WAITING_ON_THIRD_PARTY: (2, 18),
    Status.RESOLVED: (1, 8),
    Status.CLOSED: (7, HISTORY_DAYS),
}
CLIENT_WEIGHTS = {"acme": 45, "globex": 33, "durand-associes": 22}
SOURCE_WEIGHTS = {
    "acme": {Source.PORTAL: 35, Source.EMAIL: 30, Source.STAFF: 25, Source.API: 10},
    "globex": {Source.PORTAL: 35, Source.EMAIL: 40, Source.STAFF: 20, Source.API: 5},
    "durand-associes": {Source.EMAIL: 55, Source.STAFF: 40, Source.API: 5},
}
TECH_WEIGHTS = {
    "acme": {"tech@msp.example": 60, "james.oconnor@msp.example": 40},
    "globex": {"james.oconnor@msp.example": 70, "tech@msp.example": 30},
    "durand-associes": {"chloe.bernard@msp.example": 75, "tech@msp.example": 25},
}


@dataclass
class _Plan:
    """One ticket to open and the changes to play on it, each at its time."""

    opened_at: dt.datetime
    open_kwargs: dict
    steps: list[tuple[dt.datetime, Callable, dict]] = field(default_factory=list)
    key: str = ""


class _Timeline:
    """The gaps between one ticket's events; placed in time, in working hours unless urgent."""

    def __init__(self, tz: ZoneInfo, closed: set, rng: random.Random, *, urgent: bool):
        self.tz, self.closed, self.rng, self.urgent = tz, closed, rng, urgent
        self.seed = rng.random()  # for the jitter when an event moves to the next morning
        self.gaps: list[tuple[int, bool, Callable, dict]] = []

    def add(self, gap: tuple[int, int], action: Callable, /, *, anytime=False, **kwargs) -> None:
        """Schedule ``action(**kwargs)`` a random number of minutes (within ``gap``) later."""
        self.gaps.append((self.rng.randint(*gap), anytime, action, kwargs))

    def place(self, start: dt.datetime) -> list[tuple[dt.datetime, Callable, dict]]:
        """The steps with their times, for a ticket opened at ``start``."""
        jitter = random.Random(self.seed)
        at, steps = start, []
        for minutes, anytime, action, kwargs in self.gaps:
            at += dt.timedelta(minutes=minutes)
            if not (self.urgent or anytime):
                at = _working_time(at, self.tz, self.closed, jitter)
            steps.append((at, action, kwargs))
        return steps


def _squeezed(steps: list, start: dt.datetime, limit: dt.datetime) -> list:
    """The steps moved proportionally closer to ``start`` so that the last one is at ``limit``."""
    span, room = steps[-1][0] - start, limit - start
    return [(start + (at - start) * (room / span), a, k) for at, a, k in steps]


def _working_time(at: dt.datetime, tz: ZoneInfo, closed: set, rng) -> dt.datetime:
    """``at`` if it falls in office hours, else a moment early on the next working day."""
    local = at.astimezone(tz)
    day = local.date()
    if day.weekday() < 5 and day not in closed and OPEN_FROM <= local.time() <= OPEN_UNTIL:
        return at
    if not (day.weekday() < 5 and day not in closed and local.time() < OPEN_FROM):
        day += dt.timedelta(days=1)
    while day.weekday() >= 5 or day in closed:
        day += dt.timedelta(days=1)
    opening = dt.datetime.combine(day, OPEN_FROM, tzinfo=tz)
    return opening + dt.timedelta(minutes=rng.randint(0, 75))
