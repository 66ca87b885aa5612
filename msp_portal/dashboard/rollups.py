"""Rebuilding the dashboard's daily rollups: delete the days, then INSERT ... SELECT them again.

Set-based on purpose: one statement per table and per chunk of days, whatever the number of
tickets, and the same SQL on SQLite and PostgreSQL because the SELECTs are built by the ORM
(``TruncDate`` in the MSP's time zone, ``Case`` for the duration buckets) and only wrapped in
``INSERT``. A rebuild is idempotent, so beat can run it every five minutes for today and
yesterday, and ``manage.py rollups_rebuild --days N`` can backfill after an import or a change
of history (a priority or category changed after the day it was counted on).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import zoneinfo
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from tickets.models import SlaTimer, Ticket, TimeEntry

from .models import DurationDaily, MixDaily, RollupState, SlaDaily, TimeDaily

#: Days rebuilt per transaction: bounds the locks and the work one statement does.
CHUNK_DAYS = 31

#: Geometric bucket edges (business seconds): [0, 60), [60, 66), ... each 10 % wider than the
#: one before, up to about 150 business days. A value read back as its bucket's geometric middle
#: is within sqrt(1.1) - 1, under 5 %, of any value of the bucket.
BUCKET_RATIO = 1.1
DURATION_EDGES: tuple[int, ...] = tuple(
    sorted({0} | {round(60 * BUCKET_RATIO**i) for i in range(0, 120)})
)


def msp_zone() -> zoneinfo.ZoneInfo:
    """The MSP's own time zone: the one whose midnights cut the rollup days."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants of the first midnight of ``start`` and of the midnight after ``end``."""
    zone = msp_zone()
    low = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    high = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return low, high


def bucket_of(seconds: float) -> int:
    """The bucket index of a business duration (what the SQL ``Case`` computes)."""
    return max(0, bisect.bisect_right(DURATION_EDGES, seconds) - 1)


def bucket_value(index: int) -> float:
    """A representative duration of a bucket: the geometric middle of its edges."""
    low = DURATION_EDGES[index]
    if index + 1 >= len(DURATION_EDGES):
        return float(low)
    high = DURATION_EDGES[index + 1]
    return math.sqrt(low * high) if low else high / 2


def _bucket_expression() -> Case:
    whens = [
        When(elapsed_seconds__lt=edge, then=Value(index - 1))
        for index, edge in enumerate(DURATION_EDGES)
        if index
    ]
    return Case(*whens, default=Value(len(DURATION_EDGES) - 1), output_field=IntegerField())


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=msp_zone())


def _sql(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def _execute(sql: str, params: Sequence) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _insert(model, columns: Iterable[str], select_sql: str, params: Sequence) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    return _execute(f"INSERT INTO {table} ({names}) {select_sql}", params)


SLA_COUNTS = (
    "opened",
    "resolved",
    "first_response_met",
    "first_response_breached",
    "resolution_met",
    "resolution_breached",
)


def _sla_part(queryset: QuerySet, instant, **counts) -> QuerySet:
    """One source of SlaDaily rows, its columns in the one order every part shares."""
    zero = Value(0, output_field=IntegerField())
    return (
        queryset.annotate(d=_day(instant), c=F("client_id"), p=F("priority"))
        .values("d", "c", "p")
        .annotate(**{name: counts.get(name, zero) for name in SLA_COUNTS})
    )


def _rebuild_sla(low: dt.datetime, high: dt.datetime) -> int:
    decided = Coalesce("breach_at", "stopped_at")
    timers = SlaTimer.objects.filter(kind__in=["first_response", "resolution"])
    met = timers.filter(outcome="met", breached=False, stopped_at__gte=low, stopped_at__lt=high)
    breached = timers.annotate(decided=decided).filter(
        breached=True, decided__gte=low, decided__lt=high
    )

    def of_kind(kind: str) -> Sum:
        return Sum(Case(When(kind=kind, then=1), default=0, output_field=IntegerField()))

    parts = [
        _sla_part(
            Ticket.objects.filter(created_at__gte=low, created_at__lt=high),
            "created_at",
            opened=Count("id"),
        ),
        _sla_part(
            Ticket.objects.filter(resolved_at__gte=low, resolved_at__lt=high),
            "resolved_at",
            resolved=Count("id"),
        ),
        _sla_part(
            met,
            "stopped_at",
            first_response_met=of_kind("first_response"),
            resolution_met=of_kind("resolution"),
        ),
        _sla_part(
            breached,
            "decided",
            first_response_breached=of_kind("first_response"),
            resolution_breached=of_kind("resolution"),
        ),
    ]
    selects, params = [], []
    for part in parts:
        sql, part_params = _sql(part)
        selects.append(f"SELECT * FROM ({sql}) part")
        params.extend(part_params)
    sums = ", ".join(f"SUM({name})" for name in SLA_COUNTS)
    select = f"SELECT d, c, p, {sums} FROM ({' UNION ALL '.join(selects)}) parts GROUP BY d, c, p"
    return _insert(SlaDaily, ("day", "client_id", "priority", *SLA_COUNTS), select, params)


def _rebuild_mix(low: dt.datetime, high: dt.datetime) -> int:
    select = (
        Ticket.objects.filter(created_at__gte=low, created_at__lt=high)
        .annotate(d=_day("created_at"), c=F("client_id"), cat=F("category_id"), s=F("source"))
        .values("d", "c", "cat", "s")
        .annotate(n=Count("id"))
    )
    return _insert(MixDaily, ("day", "client_id", "category_id", "source", "opened"), *_sql(select))


def _rebuild_durations(low: dt.datetime, high: dt.datetime) -> int:
    select = (
        SlaTimer.objects.filter(
            kind__in=["first_response", "resolution"],
            state="stopped",
            stopped_at__gte=low,
            stopped_at__lt=high,
        )
        .annotate(
            d=_day("stopped_at"),
            c=F("client_id"),
            k=F("kind"),
            p=F("priority"),
            b=_bucket_expression(),
        )
        .values("d", "c", "k", "p", "b")
        .annotate(n=Count("id"), s=Sum("elapsed_seconds"))
    )
    columns = ("day", "client_id", "kind", "priority", "bucket", "count", "total_seconds")
    return _insert(DurationDaily, columns, *_sql(select))


def _rebuild_time(start: dt.date, end: dt.date) -> int:
    select = (
        TimeEntry.objects.filter(work_date__gte=start, work_date__lte=end)
        .annotate(
            d=F("work_date"),
            c=F("client_id"),
            ct=F("ticket__contract_id"),
            t=F("technician_id"),
            bl=F("billable"),
        )
        .values("d", "c", "ct", "t", "bl")
        .annotate(m=Sum("minutes"), n=Count("id"))
    )
    columns = ("day", "client_id", "contract_id", "technician_id", "billable", "minutes", "entries")
    return _insert(TimeDaily, columns, *_sql(select))


def _rebuild_totals(model, keys: Sequence[str], sums: Sequence[str], start, end) -> int:
    """The MSP-wide rows of a day range, summed from its per-client rows."""
    table = connection.ops.quote_name(model._meta.db_table)
    keys_sql = ", ".join(connection.ops.quote_name(k) for k in keys)
    sums_sql = ", ".join(f"SUM({connection.ops.quote_name(s)})" for s in sums)
    select = (
        f"SELECT {keys_sql}, {sums_sql} FROM {table} "
        f"WHERE day >= %s AND day <= %s AND client_id IS NOT NULL GROUP BY {keys_sql}"
    )
    bounds = (
        connection.ops.adapt_datefield_value(start),
        connection.ops.adapt_datefield_value(end),
    )
    return _insert(model, (*keys, *sums), select, bounds)


def _chunks(start: dt.date, end: dt.date) -> Iterable[tuple[dt.date, dt.date]]:
    while start <= end:
        last = min(end, start + dt.timedelta(days=CHUNK_DAYS - 1))
        yield start, last
        start = last + dt.timedelta(days=1)


def rollups_rebuild(*, start: dt.date, end: dt.date) -> int:
    """Recompute every rollup row of the days ``start`` to ``end`` (MSP days, both included).

    Returns the number of rows written. Safe to run concurrently with itself: each chunk of days
    is rebuilt in one transaction holding the state row's lock, so two rebuilds of the same
    day never interleave their delete and insert.
    """
    if end < start:
        raise ValueError("The end day is before the start day.")
    RollupState.objects.get_or_create(name="dashboard")
    written = 0
    for first, last in _chunks(start, end):
        low, high = day_bounds(first, last)
        with transaction.atomic():
            state = RollupState.objects.select_for_update().get(name="dashboard")
            for model in (SlaDaily, MixDaily, DurationDaily, TimeDaily):
                model.objects.filter(day__gte=first, day__lte=last).delete()
            written += _rebuild_sla(low, high)
            written += _rebuild_mix(low, high)
            written += _rebuild_durations(low, high)
            written += _rebuild_time(first, last)
            written += _rebuild_totals(SlaDaily, ("day", "priority"), SLA_COUNTS, first, last)
            written += _rebuild_totals(
                MixDaily, ("day", "category_id", "source"), ("opened",), first, last
            )
            written += _rebuild_totals(
                DurationDaily,
                ("day", "kind", "priority", "bucket"),
                ("count", "total_seconds"),
                first,
                last,
            )
            written += _rebuild_totals(
                TimeDaily,
                ("day", "technician_id", "billable"),
                ("minutes", "entries"),
                first,
                last,
            )
            now = timezone.now()
            state.computed_at = now
            state.first_day = first if state.first_day is None else min(state.first_day, first)
            state.last_day = last if state.last_day is None else max(state.last_day, last)
            state.updated_at = now
            state.save(update_fields=["computed_at", "first_day", "last_day", "updated_at"])
    return written


def rollups_rebuild_recent() -> int:
    """Yesterday and today: what beat refreshes every few minutes."""
    today = timezone.localdate(timezone=msp_zone())
    return rollups_rebuild(start=today - dt.timedelta(days=1), end=today)


def rollups_computed_at() -> dt.datetime | None:
    """When the figures were last computed (``None``: never)."""
    return (
        RollupState.objects.filter(name="dashboard").values_list("computed_at", flat=True).first()
    )
