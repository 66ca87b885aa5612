"""The ticket queue's reads: filters, full-text search, keyset pages and SLA countdowns.

Built to stay fast at a million tickets: the default order (most urgent first) reads the
stored ``Ticket.sla_rank`` / ``sla_due_at`` through the partial index ``ticket_open_urgency``,
pages are keyset cursors (no OFFSET), the search reads each ticket's stored full-text document
(GIN-indexed), and every page costs the same number of queries whatever the number of rows
shown.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import RawSQL

from contracts import sla
from contracts.models import SLASnapshot

from .models import SlaRank, SlaTimer, Ticket, TicketEvent, TicketQuerySet
from .services.sla import snapshot_policy

#: "1234", "T-1234" or "t1234": a ticket number typed into the search box.
_NUMBER = re.compile(r"^(?:t-?)?(\d{1,18})$", re.IGNORECASE)

STATUS_OPEN = ""  # the queue's default: every status that is not done
STATUS_ALL = "all"

SLA_BREACHED, SLA_AT_RISK, SLA_PAUSED, SLA_MET = "breached", "at_risk", "paused", "met"
SLA_STATES = (SLA_BREACHED, SLA_AT_RISK, SLA_PAUSED, SLA_MET)

SORT_URGENT, SORT_NEWEST, SORT_OLDEST, SORT_UPDATED = "urgent", "newest", "oldest", "updated"

#: Matching messages looked at when searching replies; past that, the newest tickets win.
SEARCH_MESSAGE_LIMIT = 2000
#: The row count shown stops here ("1,000+"): an exact count of a broad filter costs a scan.
COUNT_LIMIT = 1000


@dataclass(frozen=True)
class Key:
    """One column of a keyset order."""

    field: str
    descending: bool = False
    nullable: bool = False  # NULLs sort last in ascending order, first in descending


ORDERS: dict[str, tuple[Key, ...]] = {
    SORT_URGENT: (Key("sla_rank"), Key("sla_due_at", nullable=True), Key("pk")),
    SORT_NEWEST: (Key("created_at", descending=True), Key("pk", descending=True)),
    SORT_OLDEST: (Key("created_at"), Key("pk")),
    SORT_UPDATED: (Key("updated_at", descending=True), Key("pk", descending=True)),
}


def default_sort(status: str) -> str:
    """Open work comes most urgent first; finished work, most recently touched first."""
    return SORT_URGENT if status == STATUS_OPEN else SORT_UPDATED


def sla_state_filter(state: str) -> Q:
    """Tickets in an SLA state, from the stored rank (met: a timer met and none late)."""
    if state == SLA_BREACHED:
        return Q(sla_rank=SlaRank.BREACHED)
    if state == SLA_AT_RISK:
        return Q(sla_rank=SlaRank.AT_RISK)
    if state == SLA_PAUSED:
        return Q(sla_rank=SlaRank.PAUSED)
    if state == SLA_MET:
        met = SlaTimer.objects.filter(ticket=OuterRef("pk"), outcome=SlaTimer.Outcome.MET)
        return Q(Exists(met)) & ~Q(sla_rank=SlaRank.BREACHED)
    raise ValueError(f"unknown SLA state {state!r}")


def _message_matches(q: str) -> list[int]:
    """Tickets whose replies or notes contain ``q`` (SQLite; newest tickets first, bounded)."""
    messages = TicketEvent.objects.filter(
        kind__in=[TicketEvent.Kind.REPLY, TicketEvent.Kind.NOTE], body__icontains=q
    )
    ids = messages.order_by("-ticket_id").values_list("ticket_id", flat=True)
    return sorted(set(ids[:SEARCH_MESSAGE_LIMIT]))


#: The ticket's stored full-text document on PostgreSQL: subject, description, replies and
#: notes, kept current by triggers (migration tickets 0008) and indexed with GIN.
SEARCH_DOCUMENT = RawSQL('"tickets_ticket"."search_document"', [], output_field=SearchVectorField())


def search_filter(q: str) -> Q:
    """Number, subject, description and messages; PostgreSQL full-text, LIKE elsewhere.

    On PostgreSQL each ticket's words, messages included, are one stored document, so a
    search is one condition on the ticket row: the planner checks it while walking the open
    tickets in urgency order (a common word) or looks it up in the GIN index (a rare one).
    Tenancy is not decided here: the caller's queryset is already scoped, and only its rows
    can match. The queryset must carry the ``search_document`` alias (``ticket_search``).
    """
    number = _NUMBER.match(q)
    if connection.vendor == "postgresql":
        match = Q(search_document=SearchQuery(q, config="simple", search_type="websearch"))
    else:
        match = Q(subject__icontains=q) | Q(description__icontains=q)
        message_tickets = _message_matches(q)
        if message_tickets:
            match |= Q(pk__in=message_tickets)
    if number:
        match |= Q(number=int(number[1]))
    return match


#: What a queue row shows; the rest of the ticket (its description above all) stays unread.
ROW_FIELDS = (
    "number", "subject", "status", "priority", "created_at", "updated_at", "sla_rank",
    "sla_due_at", "sla_snapshot_id", "client_id", "assignee_id", "client__name", "client__slug",
    "assignee__full_name", "assignee__email",
)  # fmt: skip


def queue_rows(tickets: TicketQuerySet) -> TicketQuerySet:
    """The queue's tickets with only the columns its rows show."""
    return tickets.select_related("client", "assignee").only(*ROW_FIELDS)


def ticket_search(
    tickets: TicketQuerySet,
    *,
    user,
    status: str = STATUS_OPEN,
    priority: str = "",
    client=None,
    queue=None,
    category=None,
    source: str = "",
    assignee: str = "",
    sla: str = "",
    due_within: int | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    q: str = "",
    sort: str = "",
    now: dt.datetime,
) -> tuple[TicketQuerySet, str]:
    """Apply the queue's filters; returns the filtered tickets and the order to page them by."""
    if status == STATUS_OPEN:
        tickets = tickets.open()
    elif status != STATUS_ALL:
        tickets = tickets.filter(status=status)
    if priority:
        tickets = tickets.filter(priority=priority)
    for field, value in (("client", client), ("queue", queue), ("category", category)):
        if value is not None:
            tickets = tickets.filter(**{field: value})
    if source:
        tickets = tickets.filter(source=source)
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=assignee)
    if sla:
        tickets = tickets.filter(sla_state_filter(sla))
    if due_within:
        tickets = tickets.filter(sla_due_at__lte=now + dt.timedelta(hours=due_within))
    if created_from:
        tickets = tickets.filter(created_at__gte=created_from)
    if created_to:
        tickets = tickets.filter(created_at__lt=created_to)
    q = (q or "").strip()
    if q:
        if connection.vendor == "postgresql":
            tickets = tickets.alias(search_document=SEARCH_DOCUMENT)
        tickets = tickets.filter(search_filter(q))
    sort = sort if sort in ORDERS else default_sort(status)
    return tickets, sort


# --- keyset pages ----------------------------------------------------------------------------


def _order_by(keys: tuple[Key, ...], backwards: bool) -> list:
    terms = []
    for key in keys:
        descending = key.descending != backwards
        expression = F(key.field)
        if key.nullable:
            # NULLs stay at the same end of the list whichever way it is read.
            terms.append(
                expression.desc(nulls_first=True) if descending else expression.asc(nulls_last=True)
            )
        else:
            terms.append(expression.desc() if descending else expression.asc())
    return terms


def _after(key: Key, value: Any, backwards: bool) -> Q | None:
    """Rows strictly after ``value`` in this key's reading direction (None: there are none)."""
    descending = key.descending != backwards
    if not key.nullable:
        return Q(**{f"{key.field}__{'lt' if descending else 'gt'}": value})
    # Ascending: values, then NULLs. Descending (the same list read backwards): NULLs, values.
    if descending:
        return (
            Q(**{f"{key.field}__isnull": False})
            if value is None
            else Q(**{f"{key.field}__lt": value})
        )
    if value is None:
        return None
    return Q(**{f"{key.field}__gt": value}) | Q(**{f"{key.field}__isnull": True})


def _equal(key: Key, value: Any) -> Q:
    if value is None:
        return Q(**{f"{key.field}__isnull": True})
    return Q(**{key.field: value})


def keyset_filter(keys: tuple[Key, ...], values: list, backwards: bool = False) -> Q:
    """The rows after the cursor ``values``: (k1 > v1) or (k1 = v1 and k2 > v2) or ..."""
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        after = _after(key, value, backwards)
        if after is not None:
            condition |= prefix & after
        prefix &= _equal(key, value)
    return condition


def _encode(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, keys: tuple[Key, ...]) -> list | None:
    """A cursor back into values; None for anything malformed (the first page is shown)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    decoded = []
    for key, value in zip(keys, values, strict=True):
        if value is None and key.nullable:
            decoded.append(None)
        elif key.field.endswith("_at") and isinstance(value, str):
            try:
                instant = dt.datetime.fromisoformat(value)
            except ValueError:
                return None
            if instant.tzinfo is None:
                return None
            decoded.append(instant)
        elif key.field in ("pk", "sla_rank") and type(value) is int:
            decoded.append(value)
        else:
            return None
    return decoded


def _values(ticket: Ticket, keys: tuple[Key, ...]) -> list:
    return [getattr(ticket, key.field) for key in keys]


@dataclass
class KeysetPage:
    """One page of rows, with cursors to the next and previous pages (None at the ends)."""

    rows: list
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


def keyset_page(
    queryset, sort: str, *, after: str = "", before: str = "", size: int = 50
) -> KeysetPage:
    """``size`` rows after (or before) a cursor, in ``sort`` order, in one query."""
    keys = ORDERS[sort]
    backwards = bool(before) and not after
    values = _decode(before if backwards else after, keys) if (after or before) else None
    if values is not None:
        queryset = queryset.filter(keyset_filter(keys, values, backwards))
    else:
        backwards = False
    rows = list(queryset.order_by(*_order_by(keys, backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, values is not None
    return KeysetPage(
        rows=rows,
        next_cursor=_encode(_values(rows[-1], keys)) if rows and has_next else None,
        previous_cursor=_encode(_values(rows[0], keys)) if rows and has_previous else None,
    )


def capped_count(queryset, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """How many rows, counting no further than ``limit``: (count, whether there are more)."""
    count = queryset.order_by()[: limit + 1].count()
    return min(count, limit), count > limit


# --- the SLA countdown of each row -----------------------------------------------------------


#: Past this many calendar days, a row says "late since <date>" instead of counting business
#: time day by day (the count walks every day in between: a ticket late for months would cost
#: a millisecond of a fifty-row page on its own).
COUNTDOWN_HORIZON = dt.timedelta(days=14)


@dataclass(frozen=True)
class Countdown:
    """A row's SLA standing: its rank, and business time left or late by (seconds)."""

    rank: int
    due_at: dt.datetime | None
    left_seconds: float | None = None
    late_seconds: float | None = None
    long_late: bool = False  # late for longer than COUNTDOWN_HORIZON: shown as a date

    @property
    def css(self) -> str:
        return {
            SlaRank.BREACHED: "sla-breached",
            SlaRank.AT_RISK: "sla-at-risk",
            SlaRank.RUNNING: "sla-ok",
            SlaRank.PAUSED: "sla-paused",
        }.get(self.rank, "sla-none")

    @property
    def label(self) -> str:
        return SlaRank(self.rank).label


def attach_countdowns(tickets: list[Ticket], now: dt.datetime) -> None:
    """Set ``ticket.countdown`` on each row: business time to its next due instant, counted in
    the calendar of its SLA rules (one query for the rules of the whole page)."""
    snapshot_ids = {t.sla_snapshot_id for t in tickets if t.sla_snapshot_id and t.sla_due_at}
    snapshots = SLASnapshot.objects.in_bulk(snapshot_ids) if snapshot_ids else {}
    for ticket in tickets:
        left = late = None
        long_late = False
        due = ticket.sla_due_at
        snapshot = snapshots.get(ticket.sla_snapshot_id)
        if snapshot is not None and due is not None:
            target = snapshot_policy(snapshot).targets.get(ticket.priority)
            if target is None:
                pass
            elif now <= due:
                end = min(due, now + COUNTDOWN_HORIZON)
                left = sla.business_seconds_between(target.calendar, now, end)
            elif now - due > COUNTDOWN_HORIZON:
                long_late = True
            else:
                late = sla.business_seconds_between(target.calendar, due, now)
        ticket.countdown = Countdown(ticket.sla_rank, due, left, late, long_late)
