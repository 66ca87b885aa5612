"""The monthly service report of one client: exact figures for one month in its time zone.

Why live and not from the dashboard's rollups: the rollup days are the MSP's days and the
durations there are histograms across clients, while a client's report is cut at the client's
own midnights and its medians can be exact (one client-month is a few hundred timers). The
counting rules are the dashboard's (``msp_portal.dashboard.rollups``), so both agree:

* *opened*: tickets created in the month; *resolved*: tickets whose ``resolved_at`` is in it;
* a first-response or resolution timer counts as **met** in the month it stopped, in time
  (outcome met, never breached); it counts as **breached** in the month it went past its target
  (``breach_at``, or when it stopped if that is unknown), even if it is still running. Next-
  response timers are not counted. Compliance = met / (met + breached);
* median and 90th percentile (nearest rank) of the business time of the timers that stopped in
  the month, whatever their outcome;
* availability of each check from its state changes (``monitoring.availability``): up or
  degraded counts as available, down as not, maintenance / paused / unknown not at all; the
  month stops at "now" while it is running;
* hours: time entries whose work date is in the month, per contract of the ticket, against the
  included hours of each contract running in the month (prorated to the days it ran).

Everything is read in a constant number of queries (seven), whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from clients.models import Client
from contracts.models import Contract
from monitoring.availability import Availability, availability
from monitoring.models import Check, CheckStateChange
from msp_portal.dashboard.selectors import (
    HoursAgainstIncluded,
    Period,
    percentile_exact,
    prorated_hours,
)
from tickets.models import SlaTimer, Ticket, TimeEntry

#: Months of SLA compliance shown as a trend, the report's month included.
TREND_MONTHS = 6
#: Months offered by the month picker at most (the client's history is shorter, usually).
PICKER_MONTHS = 60
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
KINDS = (SlaTimer.Kind.FIRST_RESPONSE, SlaTimer.Kind.RESOLUTION)


def month_add(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of the month and the first instant of the next one, in ``zone``."""
    low = dt.datetime.combine(month, dt.time.min, tzinfo=zone)
    high = dt.datetime.combine(month_add(month, 1), dt.time.min, tzinfo=zone)
    return low, high


def client_zone(client: Client) -> ZoneInfo:
    return ZoneInfo(client.time_zone)


def current_month(client: Client, *, now: dt.datetime | None = None) -> dt.date:
    """The first day of this month where the client is."""
    return timezone.localtime(now or timezone.now(), client_zone(client)).date().replace(day=1)


def history_start(client: Client) -> dt.date:
    """The first month the report can show: when the client or its first ticket appeared."""
    first_ticket = Ticket.objects.for_client(client).aggregate(first=Min("created_at"))["first"]
    first = min(filter(None, (client.created_at, first_ticket)), default=timezone.now())
    return timezone.localtime(first, client_zone(client)).date().replace(day=1)


def available_months(client: Client, *, now: dt.datetime | None = None) -> list[dt.date]:
    """The months the picker offers, newest first: this month back to the client's first."""
    last = current_month(client, now=now)
    first = max(history_start(client), month_add(last, -(PICKER_MONTHS - 1)))
    months = []
    month = last
    while month >= first:
        months.append(month)
        month = month_add(month, -1)
    return months


def month_parse(raw: str | None, months: list[dt.date]) -> dt.date | None:
    """``YYYY-MM`` when it names one of ``months``; ``None`` for anything else."""
    match = _MONTH_RE.match((raw or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None
    day = dt.date(year, month, 1)
    return day if day in months else None


@dataclass
class Compliance:
    """Timers of one kind decided in a month: met in time or breached."""

    met: int = 0
    breached: int = 0

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return round(100 * self.met / self.total, 1) if self.total else None


@dataclass
class Durations:
    """Business seconds of the timers of one kind that stopped in the month."""

    count: int
    median: float | None
    p90: float | None


@dataclass
class ServiceRow:
    """One monitored service (a check) over the month."""

    check_id: int
    name: str
    kind: str
    kind_label: str
    figures: Availability | None

    @property
    def percent(self) -> float | None:
        return None if self.figures is None else self.figures.percent

    @property
    def down_minutes(self) -> int | None:
        return None if self.figures is None else self.figures.down_minutes


@dataclass
class HoursRow(HoursAgainstIncluded):
    """Time logged in the month under one contract (or on tickets without one)."""

    reference: str
    title: str


@dataclass
class TrendPoint:
    month: dt.date
    first_response: Compliance
    resolution: Compliance


@dataclass
class ServiceReport:
    """Everything the page, the PDF and the CSV show for one client and month."""

    client: Client
    month: dt.date
    start: dt.datetime
    end: dt.datetime
    #: True for the running month: the figures stop at ``generated_at``.
    partial: bool
    generated_at: dt.datetime
    opened: int
    resolved: int
    first_response: Compliance
    resolution: Compliance
    response_times: Durations
    resolution_times: Durations
    services: list[ServiceRow]
    hours: list[HoursRow]
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def last_day(self) -> dt.date:
        return month_add(self.month, 1) - dt.timedelta(days=1)

    @property
    def billable_minutes(self) -> int:
        return sum(row.billable_minutes for row in self.hours)

    @property
    def other_minutes(self) -> int:
        return sum(row.other_minutes for row in self.hours)

    @property
    def included_hours(self) -> Decimal:
        return sum((row.included_hours for row in self.hours), Decimal(0))


def _ticket_counts(client: Client, low, high) -> tuple[int, int]:
    opened = Q(created_at__gte=low, created_at__lt=high)
    resolved = Q(resolved_at__gte=low, resolved_at__lt=high)
    counts = (
        Ticket.objects.for_client(client)
        .filter(opened | resolved)
        .aggregate(opened=Count("pk", filter=opened), resolved=Count("pk", filter=resolved))
    )
    return counts["opened"], counts["resolved"]


def _timers(client: Client, zone: ZoneInfo, month: dt.date, low, high):
    """Compliance per month of the trend, and this month's durations (one query)."""
    trend_low, _ = month_bounds(month_add(month, -(TREND_MONTHS - 1)), zone)
    rows = (
        SlaTimer.objects.for_client(client)
        .filter(kind__in=KINDS)
        .annotate(decided=Coalesce("breach_at", "stopped_at"))
        .filter(
            Q(stopped_at__gte=trend_low, stopped_at__lt=high)
            | Q(breached=True, decided__gte=trend_low, decided__lt=high)
        )
        .order_by()
        .values_list(
            "kind", "outcome", "breached", "state", "stopped_at", "decided", "elapsed_seconds"
        )
    )
    compliance: dict[tuple[dt.date, str], Compliance] = defaultdict(Compliance)
    seconds: dict[str, list[float]] = defaultdict(list)

    def month_of(at: dt.datetime) -> dt.date:
        return timezone.localtime(at, zone).date().replace(day=1)

    for kind, outcome, breached, state, stopped_at, decided, elapsed in rows:
        in_trend = stopped_at is not None and trend_low <= stopped_at < high
        if outcome == SlaTimer.Outcome.MET and not breached and in_trend:
            compliance[(month_of(stopped_at), kind)].met += 1
        if breached and decided is not None and trend_low <= decided < high:
            compliance[(month_of(decided), kind)].breached += 1
        if state == SlaTimer.State.STOPPED and stopped_at is not None and low <= stopped_at < high:
            seconds[kind].append(elapsed)
    trend = [
        TrendPoint(
            m,
            compliance.get((m, SlaTimer.Kind.FIRST_RESPONSE), Compliance()),
            compliance.get((m, SlaTimer.Kind.RESOLUTION), Compliance()),
        )
        for m in (month_add(month, -i) for i in range(TREND_MONTHS - 1, -1, -1))
    ]
    durations = {
        kind: Durations(
            len(seconds[kind]),
            percentile_exact(seconds[kind], 0.5),
            percentile_exact(seconds[kind], 0.9),
        )
        for kind in KINDS
    }
    return trend, durations


def _services(client: Client, low, end) -> list[ServiceRow]:
    """Availability of each of the client's checks over [low, end) (two queries)."""
    before = (
        CheckStateChange.objects.filter(monitor=OuterRef("pk"), at__lt=low)
        .order_by("-at", "-pk")
        .values("to_state")[:1]
    )
    checks = list(
        Check.objects.for_client(client)
        .filter(created_at__lt=end)
        .annotate(before=Subquery(before))
        .order_by("name", "pk")
        .only("pk", "name", "kind", "state", "created_at")
    )
    changes: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    if checks:
        rows = (
            CheckStateChange.objects.for_client(client)
            .filter(monitor__in=[c.pk for c in checks], at__gte=low, at__lt=end)
            .order_by("at", "pk")
            .values_list("monitor_id", "at", "from_state", "to_state")
        )
        for monitor_id, at, from_state, to_state in rows:
            changes[monitor_id].append((at, from_state, to_state))
    result = []
    for check in checks:
        inside = changes.get(check.pk, [])
        # As monitoring.selectors.uptimes: before the first change known, the check was in
        # that change's "from" state, or -- with no change at all -- in its current state.
        first = check.before or (inside[0][1] if inside else check.state)
        start = max(low, check.created_at) if check.created_at else low
        figures = None
        if start < end:
            pairs = [(at, to_state) for at, _from, to_state in inside]
            figures = availability(pairs, state_before=first, start=start, end=end)
            if figures.ratio is None:
                figures = None
        result.append(
            ServiceRow(check.pk, check.name, check.kind, str(check.get_kind_display()), figures)
        )
    return result


def _hours(client: Client, month: dt.date, no_contract_label: str) -> list[HoursRow]:
    """Hours logged per contract against the hours each includes for the month (two queries)."""
    period = Period(month, month_add(month, 1) - dt.timedelta(days=1))
    logged = list(
        TimeEntry.objects.for_client(client)
        .filter(work_date__gte=period.start, work_date__lte=period.end)
        .values("ticket__contract_id", "billable")
        .annotate(m=Sum("minutes"))
        .order_by()
    )
    used = {row["ticket__contract_id"] for row in logged if row["ticket__contract_id"]}
    running = Q(start_date__lte=period.end) & (
        Q(end_date__isnull=True) | Q(end_date__gte=period.start)
    )
    contracts = (
        Contract.objects.for_client(client)
        .filter((running & ~Q(status=Contract.Status.DRAFT)) | Q(pk__in=used))
        .order_by("start_date", "reference")
        .values("pk", "reference", "title", "included_hours", "start_date", "end_date")
    )
    rows: dict[int | None, HoursRow] = {}
    for c in contracts:
        included = prorated_hours(c["included_hours"], c["start_date"], c["end_date"], period)
        rows[c["pk"]] = HoursRow(c["reference"], c["title"], included_hours=included)
    for values in logged:
        key = values["ticket__contract_id"]
        if key not in rows:
            rows[key] = HoursRow("", no_contract_label)
        if values["billable"]:
            rows[key].billable_minutes += values["m"]
        else:
            rows[key].other_minutes += values["m"]
    return list(rows.values())


def service_report(
    client: Client, month: dt.date, *, now: dt.datetime | None = None
) -> ServiceReport:
    """The report of ``client`` for the month starting on ``month`` (a first of the month)."""
    now = now or timezone.now()
    zone = client_zone(client)
    low, high = month_bounds(month, zone)
    end = min(high, now)
    opened, resolved = _ticket_counts(client, low, high)
    trend, durations = _timers(client, zone, month, low, high)
    return ServiceReport(
        client=client,
        month=month,
        start=low,
        end=end,
        partial=now < high,
        generated_at=now,
        opened=opened,
        resolved=resolved,
        first_response=trend[-1].first_response,
        resolution=trend[-1].resolution,
        response_times=durations[SlaTimer.Kind.FIRST_RESPONSE],
        resolution_times=durations[SlaTimer.Kind.RESOLUTION],
        services=_services(client, low, end) if low < end else [],
        hours=_hours(client, month, gettext("Tickets without a contract")),
        trend=trend,
    )
