"""The manager dashboard's figures, read from the rollups with a fixed number of queries.

Scope first: every query starts from ``for_user(user)``. Staff who see every client and chose no
client read the MSP-wide rollup rows (a few hundred rows for 90 days); anyone else, and the
one-client view, sums the per-client rows of the clients they may see. "Now" figures (breached,
at risk, open tickets per assignee) are live, on the partial index of open tickets. Durations of
one client are exact percentiles of its timers (a few hundred); across clients they are read
from the duration histogram, within 5 %.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from clients.models import Client
from contracts.models import Contract, Priority
from tickets.models import SlaRank, SlaTimer, Ticket

from .models import DurationDaily, MixDaily, SlaDaily, TimeDaily, TimerKind
from .rollups import bucket_value, day_bounds, rollups_computed_at

#: Rows of a long breakdown shown on the page; the CSV has them all.
TOP_ROWS = 25
#: Breached and at-risk tickets listed by name.
URGENT_ROWS = 20


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Scope:
    """Whose figures: what this user may see, optionally narrowed to one client."""

    user: object
    client: Client | None = None

    @property
    def msp_wide(self) -> bool:
        return self.client is None and self.user.has_all_clients

    def rollups(self, model, period: Period) -> QuerySet:
        rows = model.objects.for_user(self.user).days(period.start, period.end)
        if self.msp_wide:
            return rows.totals()
        rows = rows.per_client()
        return rows.filter(client=self.client) if self.client else rows

    def per_client(self, model, period: Period) -> QuerySet:
        rows = model.objects.for_user(self.user).days(period.start, period.end).per_client()
        return rows.filter(client=self.client) if self.client else rows

    def of(self, queryset: QuerySet) -> QuerySet:
        rows = queryset.for_user(self.user)
        return rows.filter(client=self.client) if self.client else rows


def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class SlaRow:
    """SLA figures of one client or priority over the period."""

    key: object
    label: str
    opened: int = 0
    resolved: int = 0
    first_response_met: int = 0
    first_response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0

    def add(self, values: Mapping[str, int]) -> None:
        for name in SLA_SUMS:
            setattr(self, name, getattr(self, name) + (values.get(name) or 0))

    @property
    def first_response_pct(self) -> float | None:
        met = self.first_response_met
        return percent(met, met + self.first_response_breached)

    @property
    def resolution_pct(self) -> float | None:
        return percent(self.resolution_met, self.resolution_met + self.resolution_breached)

    @property
    def breached(self) -> int:
        return self.first_response_breached + self.resolution_breached

    @property
    def decided(self) -> int:
        return self.breached + self.first_response_met + self.resolution_met


SLA_SUMS = (
    "opened",
    "resolved",
    "first_response_met",
    "first_response_breached",
    "resolution_met",
    "resolution_breached",
)


def _sums(names: Iterable[str]) -> dict[str, Sum]:
    return {name: Sum(name) for name in names}


def sla_by_priority_and_day(scope: Scope, period: Period) -> tuple[list[SlaRow], SlaRow, list]:
    """(rows per priority, the total row, [(day, opened, resolved)] for every day)."""
    rows = {p: SlaRow(key=p, label=str(label)) for p, label in Priority.choices}
    total = SlaRow(key="", label="")
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    query = scope.rollups(SlaDaily, period).values("day", "priority").annotate(**_sums(SLA_SUMS))
    for values in query.order_by():
        rows[values["priority"]].add(values)
        total.add(values)
        per_day[values["day"]][0] += values["opened"] or 0
        per_day[values["day"]][1] += values["resolved"] or 0
    trend = [(day, *per_day.get(day, (0, 0))) for day in period.days]
    return list(rows.values()), total, trend


def sla_by_client(scope: Scope, period: Period) -> list[SlaRow]:
    """Per client, worst resolution compliance first, then the most breaches."""
    query = (
        scope.per_client(SlaDaily, period)
        .values("client_id", "client__name")
        .annotate(**_sums(SLA_SUMS))
        .order_by()
    )
    rows = []
    for values in query:
        row = SlaRow(key=values["client_id"], label=values["client__name"])
        row.add(values)
        rows.append(row)

    def worst_first(row: SlaRow):
        pct = row.resolution_pct if row.resolution_pct is not None else row.first_response_pct
        return (pct if pct is not None else 101.0, -row.breached, -row.opened, row.label)

    return sorted(rows, key=worst_first)


@dataclass
class Mix:
    categories: list[tuple[str, int]]
    sources: list[tuple[str, int]]
    total: int


def ticket_mix(scope: Scope, period: Period) -> Mix:
    """Tickets opened in the period, by category and by source, most first."""
    query = (
        scope.rollups(MixDaily, period)
        .values("category_id", "category__name", "source")
        .annotate(n=Sum("opened"))
        .order_by()
    )
    categories: dict[str, int] = defaultdict(int)
    sources: dict[str, int] = defaultdict(int)
    source_labels = dict(Ticket.Source.choices)
    uncategorised = str(_("No category"))
    for values in query:
        categories[values["category__name"] or uncategorised] += values["n"]
        sources[str(source_labels.get(values["source"], values["source"]))] += values["n"]

    def most_first(counts: dict[str, int]) -> list[tuple[str, int]]:
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    return Mix(most_first(categories), most_first(sources), sum(sources.values()))


def percentile_exact(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (``p`` from 0 to 1) of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def percentile_from_histogram(counts: Mapping[int, int], p: float) -> float | None:
    """The nearest-rank percentile read from bucket counts: the matching bucket's middle."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(p * total))
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if seen >= rank:
            return bucket_value(bucket)
    return None  # pragma: no cover - the loop reaches the rank


@dataclass
class DurationRow:
    """Median and 90th percentile (business seconds) of one timer kind and priority."""

    kind: str
    kind_label: str
    priority: str
    priority_label: str
    count: int
    median: float | None
    p90: float | None


@dataclass
class Durations:
    rows: list[DurationRow]
    exact: bool


def durations(scope: Scope, period: Period) -> Durations:
    """Median and p90 time to first response and to resolution, per priority and overall."""
    groups: dict[tuple[str, str], object] = {}
    if scope.client is not None:
        low, high = day_bounds(period.start, period.end)
        timers = scope.of(SlaTimer.objects).filter(
            kind__in=TimerKind.values, state="stopped", stopped_at__gte=low, stopped_at__lt=high
        )
        values: dict[tuple[str, str], list[float]] = defaultdict(list)
        for kind, priority, seconds in timers.values_list("kind", "priority", "elapsed_seconds"):
            values[(kind, priority)].append(seconds)
            values[(kind, "")].append(seconds)
        groups = values
    else:
        hist: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        query = (
            scope.rollups(DurationDaily, period)
            .values("kind", "priority", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
        )
        for row in query:
            hist[(row["kind"], row["priority"])][row["bucket"]] += row["n"]
            hist[(row["kind"], "")][row["bucket"]] += row["n"]
        groups = hist
    rows = []
    priorities = [("", str(_("All priorities"))), *((p, str(lab)) for p, lab in Priority.choices)]
    for kind, kind_label in TimerKind.choices:
        for priority, priority_label in priorities:
            data = groups.get((kind, priority))
            if scope.client is not None:
                data = data or []
                count = len(data)
                median, p90 = percentile_exact(data, 0.5), percentile_exact(data, 0.9)
            else:
                data = data or {}
                count = sum(data.values())
                median = percentile_from_histogram(data, 0.5)
                p90 = percentile_from_histogram(data, 0.9)
            rows.append(
                DurationRow(kind, str(kind_label), priority, priority_label, count, median, p90)
            )
    return Durations(rows, exact=scope.client is not None)


@dataclass
class Now:
    breached: int
    at_risk: int
    open: int
    tickets: list[Ticket]


def sla_now(scope: Scope) -> Now:
    """Open tickets breaching or at risk now, from the stored SLA rank (live, indexed)."""
    open_tickets = scope.of(Ticket.objects).open()
    counts = dict(
        open_tickets.values_list("sla_rank")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("sla_rank", "n")
    )
    urgent = (
        open_tickets.filter(sla_rank__in=[SlaRank.BREACHED, SlaRank.AT_RISK])
        .select_related("client", "assignee")
        .only(
            "number",
            "subject",
            "priority",
            "sla_rank",
            "sla_due_at",
            "status",
            "client__name",
            "assignee__full_name",
            "assignee__email",
        )
        .order_by("sla_rank", "sla_due_at", "id")[:URGENT_ROWS]
    )
    return Now(
        breached=counts.get(SlaRank.BREACHED, 0),
        at_risk=counts.get(SlaRank.AT_RISK, 0),
        open=sum(counts.values()),
        tickets=list(urgent),
    )


@dataclass
class WorkloadRow:
    technician_id: int | None
    name: str
    open_tickets: int = 0
    billable_minutes: int = 0
    other_minutes: int = 0

    @property
    def minutes(self) -> int:
        return self.billable_minutes + self.other_minutes


def workload(scope: Scope, period: Period) -> list[WorkloadRow]:
    """Open tickets per assignee now, and minutes each person logged in the period."""
    rows: dict[int | None, WorkloadRow] = {}

    def row(pk, full_name, email) -> WorkloadRow:
        if pk not in rows:
            rows[pk] = WorkloadRow(pk, full_name or email or str(_("Unassigned")))
        return rows[pk]

    open_query = (
        scope.of(Ticket.objects)
        .open()
        .values("assignee_id", "assignee__full_name", "assignee__email")
        .annotate(n=Count("id"))
        .order_by()
    )
    for values in open_query:
        row(values["assignee_id"], values["assignee__full_name"], values["assignee__email"])
        rows[values["assignee_id"]].open_tickets += values["n"]
    time_query = (
        scope.rollups(TimeDaily, period)
        .values("technician_id", "technician__full_name", "technician__email", "billable")
        .annotate(m=Sum("minutes"))
        .order_by()
    )
    for values in time_query:
        target = row(
            values["technician_id"], values["technician__full_name"], values["technician__email"]
        )
        if values["billable"]:
            target.billable_minutes += values["m"]
        else:
            target.other_minutes += values["m"]
    return sorted(
        rows.values(),
        key=lambda r: (-r.open_tickets, -r.minutes, r.technician_id is None, r.name),
    )


def prorated_hours(
    per_month: Decimal, start: dt.date, end: dt.date | None, period: Period
) -> Decimal:
    """The hours a contract includes over the part of the period it runs, month by month."""
    first = max(start, period.start)
    last = min(end or period.end, period.end)
    total = Decimal(0)
    day = first
    while day <= last:
        month_days = calendar.monthrange(day.year, day.month)[1]
        month_end = min(last, day.replace(day=month_days))
        total += per_month * Decimal((month_end - day).days + 1) / Decimal(month_days)
        day = month_end + dt.timedelta(days=1)
    return total.quantize(Decimal("0.01"))


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


@dataclass(kw_only=True)
class HoursAgainstIncluded:
    """Time logged under a contract against the hours it includes: the dashboard's rows and the
    client service report's share this arithmetic."""

    included_hours: Decimal = Decimal(0)
    billable_minutes: int = 0
    other_minutes: int = 0

    @property
    def minutes(self) -> int:
        return self.billable_minutes + self.other_minutes

    @property
    def hours(self) -> Decimal:
        return _hours(self.minutes)

    @property
    def billable_hours(self) -> Decimal:
        return _hours(self.billable_minutes)

    @property
    def other_hours(self) -> Decimal:
        return _hours(self.other_minutes)

    @property
    def used_pct(self) -> float | None:
        if not self.included_hours:
            return None
        return round(float(self.hours / self.included_hours * 100), 1)


@dataclass
class ContractRow(HoursAgainstIncluded):
    contract_id: int | None
    reference: str
    title: str
    client_name: str


def contract_hours(scope: Scope, period: Period) -> list[ContractRow]:
    """Hours logged (billable or not) per contract, against its included hours for the period.

    Time on tickets without a contract is grouped per client under "No contract".
    """
    rows: dict[tuple, ContractRow] = {}
    time_query = (
        scope.per_client(TimeDaily, period)
        .values("contract_id", "client_id", "client__name", "billable")
        .annotate(m=Sum("minutes"))
        .order_by()
    )
    logged = list(time_query)
    contract_ids = {v["contract_id"] for v in logged if v["contract_id"]}
    active = Q(start_date__lte=period.end) & (
        Q(end_date__isnull=True) | Q(end_date__gte=period.start)
    )
    contracts = (
        scope.of(Contract.objects)
        .filter((active & ~Q(status=Contract.Status.DRAFT)) | Q(pk__in=contract_ids))
        .values(
            "pk", "reference", "title", "client__name", "included_hours", "start_date", "end_date"
        )
        .order_by()
    )
    for c in contracts:
        included = prorated_hours(c["included_hours"], c["start_date"], c["end_date"], period)
        rows[("c", c["pk"])] = ContractRow(
            c["pk"], c["reference"], c["title"], c["client__name"], included_hours=included
        )
    for values in logged:
        key = ("c", values["contract_id"]) if values["contract_id"] else ("n", values["client_id"])
        if key not in rows:
            rows[key] = ContractRow(None, "", str(_("No contract")), values["client__name"])
        if values["billable"]:
            rows[key].billable_minutes += values["m"]
        else:
            rows[key].other_minutes += values["m"]
    return sorted(
        (r for r in rows.values() if r.hours or r.included_hours),
        key=lambda r: (-(r.used_pct or 0), -r.hours, r.client_name, r.reference),
    )


@dataclass
class Figures:
    """Everything the dashboard shows for one scope and period."""

    period: Period
    scope: Scope
    computed_at: dt.datetime | None
    by_priority: list[SlaRow]
    total: SlaRow
    trend: list[tuple[dt.date, int, int]]
    by_client: list[SlaRow]
    mix: Mix
    durations: Durations
    now: Now
    workload: list[WorkloadRow]
    contracts: list[ContractRow]


#: Seconds a per-client breakdown stays cached; the key changes with each rollup run anyway.
BREAKDOWN_CACHE_SECONDS = 600


def _breakdowns(scope: Scope, period: Period, computed_at) -> tuple[list, list]:
    """The per-client SLA rows and the per-contract hours: the two figures that sum per-client
    rollup rows (about 4,000 a day for 2,000 clients, so a few hundred milliseconds over 90
    days). They change only when the rollups are rebuilt, so they are cached under the time of
    that rebuild and the exact set of clients summed: a change of rights is a new key, never a
    stale view of a client one may no longer see."""
    if scope.msp_wide:
        clients = "all"
    else:
        allowed = [scope.client.pk] if scope.client else None
        if allowed is None:
            allowed = sorted(Client.objects.for_user(scope.user).values_list("pk", flat=True))
        clients = hashlib.sha256(",".join(map(str, allowed)).encode()).hexdigest()[:32]
    stamp = computed_at.timestamp() if computed_at else "never"
    key = f"dashboard:v1:{stamp}:{clients}:{period.start}:{period.end}:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        cached = (sla_by_client(scope, period), contract_hours(scope, period))
        cache.set(key, cached, BREAKDOWN_CACHE_SECONDS)
    return cached


def dashboard_figures(*, user, period: Period, client: Client | None = None) -> Figures:
    """All the dashboard's figures for what ``user`` may see (and ``client`` only, if given)."""
    scope = Scope(user=user, client=client)
    computed_at = rollups_computed_at()
    by_priority, total, trend = sla_by_priority_and_day(scope, period)
    by_client, contracts = _breakdowns(scope, period, computed_at)
    return Figures(
        period=period,
        scope=scope,
        computed_at=computed_at,
        by_priority=by_priority,
        total=total,
        trend=trend,
        by_client=by_client,
        mix=ticket_mix(scope, period),
        durations=durations(scope, period),
        now=sla_now(scope),
        workload=workload(scope, period),
        contracts=contracts,
    )
