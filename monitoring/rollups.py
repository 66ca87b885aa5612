"""Hourly and daily rollups of check results, and the pruning of raw results.

Raw results are kept ``MONITORING_RESULT_RETENTION_DAYS`` (14 by default) for the detail
charts and "last errors"; the rollups keep counts per outcome and response times for months.
Both run as their own beat tasks, never in the probe path.

- Hourly rows come from the raw results of each UTC hour: exact counts, min, average and 95th
  percentile of the response time (PostgreSQL computes the percentile in the query; SQLite,
  the small-installation default, in Python).
- Daily rows come from that day's hourly rows, so a day is never re-read from the raw table:
  counts, min and average are exact; the daily p95 is the highest hourly p95 of the day, an
  upper bound that a report may quote safely.

Every run rewrites its recent periods (upsert on check, period and start), so running it twice,
or late, changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from .models import CheckResult, CheckRollup

Outcome = CheckResult.Outcome
Period = CheckRollup.Period

_COUNT_FIELDS = {
    "successes": Outcome.SUCCESS,
    "degraded": Outcome.DEGRADED,
    "failures": Outcome.FAILURE,
    "errors": Outcome.ERROR,
}
_VALUE_FIELDS = [
    *_COUNT_FIELDS,
    "client",
    "latency_min_ms",
    "latency_avg_ms",
    "latency_p95_ms",
]
PRUNE_BATCH = 10_000
PRUNE_BUDGET_SECONDS = 120


def _hour(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _p95_by_group(start: dt.datetime, end: dt.datetime) -> dict[tuple[int, dt.datetime], float]:
    """95th percentile of the response time per (check, hour) in [start, end)."""
    if connection.vendor == "postgresql":
        table = CheckResult._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT monitor_id, date_trunc('hour', checked_at AT TIME ZONE 'UTC'),
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
                FROM {table}
                WHERE checked_at >= %s AND checked_at < %s AND latency_ms IS NOT NULL
                GROUP BY 1, 2
                """,
                [start, end],
            )
            return {
                (monitor_id, hour.replace(tzinfo=dt.UTC)): p95
                for monitor_id, hour, p95 in cursor.fetchall()
            }
    samples: dict[tuple[int, dt.datetime], list[float]] = defaultdict(list)
    for monitor_id, checked_at, latency in (
        CheckResult.objects.filter(
            checked_at__gte=start, checked_at__lt=end, latency_ms__isnull=False
        )
        .values_list("monitor_id", "checked_at", "latency_ms")
        .iterator(chunk_size=5000)
    ):
        samples[(monitor_id, _hour(checked_at))].append(latency)
    return {key: percentile(values, 0.95) for key, values in samples.items()}


def _upsert(rows: list[CheckRollup]) -> None:
    CheckRollup.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["monitor", "period", "start"],
        update_fields=_VALUE_FIELDS,
    )


def rollup_hours(*, start: dt.datetime, end: dt.datetime) -> int:
    """Write the hourly rows of every check for the hours in [start, end); returns how many."""
    start, end = _hour(start), _hour(end)
    groups = (
        CheckResult.objects.filter(checked_at__gte=start, checked_at__lt=end)
        .annotate(hour=Trunc("checked_at", "hour", tzinfo=dt.UTC))
        .values("monitor_id", "client_id", "hour")
        .annotate(
            **{
                name: Count("pk", filter=Q(outcome=outcome))
                for name, outcome in _COUNT_FIELDS.items()
            },
            lat_min=Min("latency_ms"),
            lat_avg=Avg("latency_ms"),
        )
        .order_by()
    )
    p95 = _p95_by_group(start, end)
    rows = [
        CheckRollup(
            client_id=g["client_id"],
            monitor_id=g["monitor_id"],
            period=Period.HOUR,
            start=g["hour"],
            **{name: g[name] for name in _COUNT_FIELDS},
            latency_min_ms=g["lat_min"],
            latency_avg_ms=g["lat_avg"],
            latency_p95_ms=p95.get((g["monitor_id"], g["hour"])),
        )
        for g in groups
    ]
    _upsert(rows)
    return len(rows)


def rollup_days(*, start: dt.date, end: dt.date) -> int:
    """Write the daily rows for the UTC days in [start, end) from their hourly rows."""
    first = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    last = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC)
    groups = (
        CheckRollup.objects.filter(period=Period.HOUR, start__gte=first, start__lt=last)
        .annotate(day=Trunc("start", "day", tzinfo=dt.UTC))
        .values("monitor_id", "client_id", "day")
        .annotate(
            **{name: Sum(name) for name in _COUNT_FIELDS},
            lat_min=Min("latency_min_ms"),
            lat_p95=Max("latency_p95_ms"),
        )
        .order_by()
    )
    # The day's average weighs each hour by its number of results.
    weighted: dict[tuple[int, dt.datetime], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for monitor_id, hour_start, avg, *counts in CheckRollup.objects.filter(
        period=Period.HOUR, start__gte=first, start__lt=last, latency_avg_ms__isnull=False
    ).values_list("monitor_id", "start", "latency_avg_ms", *_COUNT_FIELDS):
        day = hour_start.astimezone(dt.UTC).replace(hour=0)
        weight = sum(counts) or 1
        acc = weighted[(monitor_id, day)]
        acc[0] += avg * weight
        acc[1] += weight
    rows = []
    for g in groups:
        total, weight = weighted.get((g["monitor_id"], g["day"]), (0.0, 0.0))
        rows.append(
            CheckRollup(
                client_id=g["client_id"],
                monitor_id=g["monitor_id"],
                period=Period.DAY,
                start=g["day"],
                **{name: g[name] or 0 for name in _COUNT_FIELDS},
                latency_min_ms=g["lat_min"],
                latency_avg_ms=total / weight if weight else None,
                latency_p95_ms=g["lat_p95"],
            )
        )
    _upsert(rows)
    return len(rows)


#: The furthest back a rollup run reaches when no hour has been rolled up yet.
FIRST_RUN_REACH = dt.timedelta(hours=48)


def rollup_recent(*, now: dt.datetime | None = None) -> int:
    """The hourly task: every hour since the last one rolled up (which may have been partial
    then) up to the current one so far, and their days. A missed run is caught up by the next;
    a run never re-reads more than it must from the raw results."""
    now = now or timezone.now()
    end = _hour(now) + dt.timedelta(hours=1)
    last = (
        CheckRollup.objects.filter(period=Period.HOUR, start__lt=end)
        .order_by("-start")
        .values_list("start", flat=True)
        .first()
    )
    start = max(last, end - FIRST_RUN_REACH) if last else end - FIRST_RUN_REACH
    start = min(start, end - dt.timedelta(hours=2))  # the last complete hour, always
    written = rollup_hours(start=start, end=end)
    written += rollup_days(start=start.date(), end=end.date() + dt.timedelta(days=1))
    return written


def results_prune(
    *, now: dt.datetime | None = None, budget_seconds: float = PRUNE_BUDGET_SECONDS
) -> int:
    """Delete raw results past retention and hourly rollups past theirs, a batch at a time
    (short transactions, no long lock on the table the engine writes to); returns how many
    results were deleted. What the time budget leaves is taken by the next run."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.MONITORING_RESULT_RETENTION_DAYS)
    deadline = time.monotonic() + budget_seconds
    deleted = 0
    while time.monotonic() < deadline:
        ids = list(
            CheckResult.objects.filter(checked_at__lt=cutoff)
            .order_by()
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if not ids:
            break
        deleted += CheckResult.objects.filter(pk__in=ids).delete()[0]
    rollup_cutoff = now - dt.timedelta(days=settings.MONITORING_HOURLY_ROLLUP_DAYS)
    CheckRollup.objects.filter(period=Period.HOUR, start__lt=rollup_cutoff).delete()
    return deleted
