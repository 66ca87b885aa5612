"""Reads of monitoring for pages; every one starts from ``for_user`` or from rows already read
through it, and a list page makes the same number of queries whatever its number of rows."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from . import maintenance
from .availability import Availability, availability
from .models import (
    Check,
    CheckQuerySet,
    CheckResult,
    CheckRollup,
    CheckState,
    CheckStateChange,
    MaintenanceWindow,
    MonitoringOutage,
)

#: Config keys whose values are never displayed (credentials a probe may need).
_SECRET_WORDS = ("password", "secret", "token", "authorization", "api_key", "apikey")

#: Pseudo-states of the overview's state filter.
STALE, FLAPPING = "stale", "flapping"

#: The uptime periods shown, by key.
PERIODS: dict[str, dt.timedelta] = {
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}

#: Failing first: the order of states on the overview.
_SEVERITY = [
    CheckState.DOWN,
    CheckState.DEGRADED,
    CheckState.UNKNOWN,
    CheckState.MAINTENANCE,
    CheckState.UP,
    CheckState.PAUSED,
]


def _severity() -> Case:
    return Case(
        *(When(state=state, then=Value(rank)) for rank, state in enumerate(_SEVERITY)),
        default=Value(len(_SEVERITY)),
        output_field=IntegerField(),
    )


def _late_by() -> ExpressionWrapper:
    """Two intervals, as a duration. The integer is wrapped first: SQLite's backend multiplies a
    duration only by a plain integer field, PostgreSQL multiplies an interval by anything."""
    interval = ExpressionWrapper(F("interval_seconds"), output_field=IntegerField())
    two = Value(dt.timedelta(seconds=2))
    return ExpressionWrapper(interval * two, output_field=DurationField())


def stale_q(now: dt.datetime) -> Q:
    """Enabled checks whose next run is more than two intervals overdue: the engine is behind,
    or stopped."""
    return Q(enabled=True, next_run_at__lt=now - _late_by())


def check_search(
    checks: CheckQuerySet,
    *,
    q: str = "",
    state: str = "",
    kind: str = "",
    client=None,
    now: dt.datetime | None = None,
) -> CheckQuerySet:
    if state == STALE:
        checks = checks.filter(stale_q(now or timezone.now()))
    elif state == FLAPPING:
        checks = checks.filter(flapping=True)
    elif state:
        checks = checks.filter(state=state)
    if kind:
        checks = checks.filter(kind=kind)
    if client is not None:
        checks = checks.filter(client=client)
    q = (q or "").strip()
    if q:
        checks = checks.filter(Q(name__icontains=q) | Q(asset__name__icontains=q))
    return checks


def state_counts(checks: QuerySet[Check]) -> list[dict[str, Any]]:
    """How many of these checks are in each state (one query)."""
    counts = dict(checks.order_by().values_list("state").annotate(n=Count("pk")))
    return [
        {"value": value, "label": label, "count": counts[value]}
        for value, label in CheckState.choices
        if value in counts
    ]


@dataclass(frozen=True)
class Summary:
    """The overview's figures: per state, plus the late and the flapping."""

    states: list[dict[str, Any]]
    total: int
    stale: int
    flapping: int


def overview_summary(checks: QuerySet[Check], *, now: dt.datetime | None = None) -> Summary:
    """Counts per state, stale and flapping, in one query."""
    now = now or timezone.now()
    figures = checks.order_by().aggregate(
        total=Count("pk"),
        stale=Count("pk", filter=stale_q(now)),
        flapping=Count("pk", filter=Q(flapping=True)),
        **{f"state_{value}": Count("pk", filter=Q(state=value)) for value in CheckState.values},
    )
    states = [
        {"value": value, "label": label, "count": figures[f"state_{value}"]}
        for value, label in CheckState.choices
        if figures[f"state_{value}"] or value in (CheckState.DOWN, CheckState.UP)
    ]
    states.sort(key=lambda row: _SEVERITY.index(row["value"]))
    return Summary(
        states=states, total=figures["total"], stale=figures["stale"], flapping=figures["flapping"]
    )


def overview_order(checks: CheckQuerySet) -> CheckQuerySet:
    """Grouped per client, the clients with a check DOWN first, then DEGRADED...; within a
    client, its failing checks first."""
    worst = (
        Check.objects.filter(client=OuterRef("client_id"))
        .annotate(rank=_severity())
        .order_by("rank")
        .values("rank")[:1]
    )
    return checks.annotate(severity=_severity(), client_severity=Subquery(worst)).order_by(
        "client_severity", "client__name", "client_id", "severity", "name", "pk"
    )


def open_outage() -> MonitoringOutage | None:
    """The ongoing 'monitoring degraded' period, if the monitoring host looks cut off."""
    return MonitoringOutage.objects.filter(is_open=True).first()


# -- availability ----------------------------------------------------------------------------


def uptimes(
    checks: Sequence[Check],
    *,
    periods: Iterable[str] = PERIODS,
    now: dt.datetime | None = None,
) -> dict[int, dict[str, Availability]]:
    """Availability of each check over each period, in two queries whatever their number:
    the state change just before the longest period, and the changes inside it."""
    periods = list(periods)
    if not checks or not periods:
        return {}
    now = now or timezone.now()
    longest = max(PERIODS[key] for key in periods)
    since = now - longest
    ids = [check.pk for check in checks]
    before_rows = Check.objects.filter(pk__in=ids).annotate(
        before=Subquery(
            CheckStateChange.objects.filter(monitor=OuterRef("pk"), at__lt=since)
            .order_by("-at", "-pk")
            .values("to_state")[:1]
        )
    )
    before = dict(before_rows.values_list("pk", "before"))
    inside: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    rows = (
        CheckStateChange.objects.filter(monitor_id__in=ids, at__gte=since, at__lt=now)
        .order_by("at", "pk")
        .values_list("monitor_id", "at", "from_state", "to_state")
    )
    for monitor_id, at, from_state, to_state in rows:
        inside[monitor_id].append((at, from_state, to_state))
    result: dict[int, dict[str, Availability]] = {}
    for check in checks:
        changes = inside.get(check.pk, [])
        # Before the first change we know of, the check was in that change's "from" state, or
        # -- with no change at all -- in its current state since it was created.
        first = before.get(check.pk) or (changes[0][1] if changes else check.state)
        pairs = [(at, to_state) for at, _from, to_state in changes]
        result[check.pk] = {}
        for key in periods:
            start = max(now - PERIODS[key], check.created_at or since)
            result[check.pk][key] = availability(pairs, state_before=first, start=start, end=now)
    return result


def with_uptime(checks: Iterable[Check], *, period: str = "24h", now=None) -> list[Check]:
    """The checks, each with ``uptime`` (an Availability over ``period``): two more queries."""
    checks = list(checks)
    figures = uptimes(checks, periods=[period], now=now)
    for check in checks:
        check.uptime = figures.get(check.pk, {}).get(period)
    return checks


# -- one check's history ---------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    points: list[tuple[dt.datetime, float | None]]
    start: dt.datetime
    end: dt.datetime
    #: Points further apart than this are not joined by the line.
    gap: dt.timedelta


def response_times(check: Check, *, period: str, now: dt.datetime | None = None) -> Series:
    """Response times to chart: every result over 24 hours, hourly averages beyond. A run that
    failed is a hole in the line, not a fast answer."""
    now = now or timezone.now()
    start = now - PERIODS[period]
    if period == "24h":
        rows = (
            CheckResult.objects.filter(monitor=check, checked_at__gte=start)
            .order_by("checked_at")
            .values_list("checked_at", "outcome", "latency_ms")
        )
        ok = {CheckResult.Outcome.SUCCESS, CheckResult.Outcome.DEGRADED}
        points = [(at, ms if outcome in ok else None) for at, outcome, ms in rows]
        gap = dt.timedelta(seconds=3 * max(check.interval_seconds, check.retry_interval_seconds))
    else:
        points = list(
            CheckRollup.objects.filter(
                monitor=check, period=CheckRollup.Period.HOUR, start__gte=start
            )
            .order_by("start")
            .values_list("start", "latency_avg_ms")
        )
        gap = dt.timedelta(hours=3)
    return Series(points=points, start=start, end=now, gap=gap)


def last_errors(check: Check, *, limit: int = 10) -> QuerySet[CheckResult]:
    """The most recent failed runs of a check, newest first."""
    failed = [CheckResult.Outcome.FAILURE, CheckResult.Outcome.ERROR]
    return CheckResult.objects.filter(monitor=check, outcome__in=failed).order_by("-checked_at")[
        :limit
    ]


# -- maintenance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowOccurrence:
    window: MaintenanceWindow
    starts_at: dt.datetime
    ends_at: dt.datetime
    active: bool


def not_over(
    windows: QuerySet[MaintenanceWindow], *, now: dt.datetime | None = None
) -> QuerySet[MaintenanceWindow]:
    """Leave out the windows that can have no occurrence from now on (a day's margin for
    ``repeat_until``, a local date in the client's zone)."""
    now = now or timezone.now()
    once = MaintenanceWindow.Recurrence.NONE
    return windows.filter(
        Q(recurrence=once, ends_at__gt=now)
        | (
            ~Q(recurrence=once)
            & (
                Q(repeat_until__isnull=True)
                | Q(repeat_until__gte=(now - dt.timedelta(days=1)).date())
            )
        )
    )


def windows_for_check(check: Check) -> QuerySet[MaintenanceWindow]:
    """The windows of the check's client not over yet that cover it: those listing it, and
    those listing no check (they cover every check of the client)."""
    through = MaintenanceWindow.checks.through
    listed = through.objects.filter(maintenancewindow_id=OuterRef("pk"))
    windows = MaintenanceWindow.objects.filter(client_id=check.client_id).filter(
        ~Exists(listed) | Exists(listed.filter(check_id=check.pk))
    )
    return not_over(windows)


def occurrences(
    windows: Iterable[MaintenanceWindow],
    *,
    now: dt.datetime | None = None,
    horizon: dt.timedelta = dt.timedelta(days=30),
    per_window: int = 3,
) -> list[WindowOccurrence]:
    """The occurrences in force now or starting within ``horizon``, soonest first; each window
    is read in its client's time zone (``window.client`` should be selected already)."""
    now = now or timezone.now()
    found: list[WindowOccurrence] = []
    for window in windows:
        tz = ZoneInfo(window.client.time_zone)
        for n, occurrence in enumerate(
            maintenance.occurrences(
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                recurrence=window.recurrence,
                repeat_until=window.repeat_until,
                tz=tz,
                start=now,
                end=now + horizon,
            )
        ):
            if n >= per_window:
                break
            found.append(
                WindowOccurrence(
                    window=window,
                    starts_at=occurrence.starts_at,
                    ends_at=occurrence.ends_at,
                    active=occurrence.starts_at <= now < occurrence.ends_at,
                )
            )
    found.sort(key=lambda o: (o.starts_at, o.window.pk))
    return found


def with_next_occurrence(
    windows: Iterable[MaintenanceWindow], *, now: dt.datetime | None = None
) -> list[MaintenanceWindow]:
    """The windows, each with ``next_occurrence`` (the one in force or the next, or None)."""
    now = now or timezone.now()
    windows = list(windows)
    for window in windows:
        window.next_occurrence = next(
            iter(occurrences([window], now=now, horizon=dt.timedelta(days=400), per_window=1)),
            None,
        )
    return windows


def config_rows(config) -> list[tuple[str, str, bool]]:
    """A check's settings as (key, text, hidden) rows; credentials are masked."""
    if not isinstance(config, dict):
        return []
    rows = []
    for key, value in sorted(config.items(), key=lambda item: str(item[0])):
        hidden = any(word in str(key).lower() for word in _SECRET_WORDS)
        text = "" if hidden else value if isinstance(value, str) else json.dumps(value)
        rows.append((str(key), text, hidden))
    return rows
