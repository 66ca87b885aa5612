"""When maintenance windows are in force: plain datetimes in, occurrences out (no queries).

A window is written in the client's wall-clock time: "every Sunday 02:00-04:00 Europe/Paris"
stays 02:00-04:00 local across DST changes, so each occurrence is computed in local time and
converted to UTC on its own. A monthly window on the 31st falls on the last day of shorter
months. ``repeat_until`` is the last local day an occurrence may start on.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

NONE, DAILY, WEEKLY, MONTHLY = "none", "daily", "weekly", "monthly"


@dataclass(frozen=True)
class Occurrence:
    starts_at: dt.datetime  # aware, UTC
    ends_at: dt.datetime


def _shift_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def _local_start(first_local: dt.datetime, recurrence: str, k: int) -> dt.datetime:
    """The k-th occurrence's local (naive) start."""
    if recurrence == DAILY:
        return first_local + dt.timedelta(days=k)
    if recurrence == WEEKLY:
        return first_local + dt.timedelta(weeks=k)
    if recurrence == MONTHLY:
        return dt.datetime.combine(_shift_months(first_local.date(), k), first_local.time())
    return first_local


def _approx_period(recurrence: str) -> dt.timedelta:
    return {
        DAILY: dt.timedelta(days=1),
        WEEKLY: dt.timedelta(weeks=1),
        MONTHLY: dt.timedelta(days=28),
    }[recurrence]


def occurrences(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    recurrence: str,
    repeat_until: dt.date | None,
    tz: ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
) -> Iterator[Occurrence]:
    """The occurrences of a window that overlap ``[start, end)``, in order."""
    utc = dt.UTC
    if recurrence == NONE or recurrence not in (DAILY, WEEKLY, MONTHLY):
        if starts_at < end and ends_at > start:
            yield Occurrence(starts_at.astimezone(utc), ends_at.astimezone(utc))
        return
    first_local = starts_at.astimezone(tz).replace(tzinfo=None)
    length = ends_at - starts_at
    # Jump close to the range instead of walking from the first occurrence of a years-old window.
    period = _approx_period(recurrence)
    k = max(0, int((start - length - starts_at) / period) - 1)
    while True:
        local = _local_start(first_local, recurrence, k)
        if repeat_until is not None and local.date() > repeat_until:
            return
        # fold=0: an ambiguous or skipped local time resolves as zoneinfo does by default.
        occ_start = local.replace(tzinfo=tz).astimezone(utc)
        if occ_start >= end:
            return
        occ_end = occ_start + length
        if occ_end > start:
            yield Occurrence(occ_start, occ_end)
        k += 1


def active_at(
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    recurrence: str,
    repeat_until: dt.date | None,
    tz: ZoneInfo,
    at: dt.datetime,
) -> Occurrence | None:
    """The occurrence in force at ``at``, or None."""
    for occurrence in occurrences(
        starts_at=starts_at,
        ends_at=ends_at,
        recurrence=recurrence,
        repeat_until=repeat_until,
        tz=tz,
        start=at,
        end=at + dt.timedelta(microseconds=1),
    ):
        if occurrence.starts_at <= at < occurrence.ends_at:
            return occurrence
    return None
