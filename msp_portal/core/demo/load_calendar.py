"""The load's business-minute model (a per-minute table of each business calendar) and the
reference rows it hangs on: calendars, SLA policies, queues and categories (see ``load``)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from itertools import accumulate
from zoneinfo import ZoneInfo

from contracts.models import (
    BusinessCalendar,
    BusinessHours,
    Holiday,
    SLAPolicy,
    SLATarget,
)
from tickets.models import (
    Category,
    Queue,
)

from .calendars import (
    MONTREAL,
    PARIS,
    PREMIUM_TARGETS,
    QUEBEC_HOLIDAYS,
    STANDARD_TARGETS,
    french_public_holidays,
)
from .inventory import CATEGORIES, QUEUES


class MinuteCalendar:
    """A business calendar as a table over the minutes of the generated range: ``cum[i]`` is
    the number of business minutes in [0, i). Instants are minute indices from ``base``."""

    def __init__(self, cum: list[int]):
        self.cum = cum

    def between(self, a: int, b: int) -> int:
        return self.cum[b] - self.cum[a]

    def add(self, a: int, minutes: int) -> int:
        """The first instant at which ``minutes`` business minutes have passed since ``a``."""
        if minutes <= 0:
            return a
        i = bisect_left(self.cum, self.cum[a] + minutes, lo=a)
        return min(i, len(self.cum) - 1)


def _minute_calendar(calendar: BusinessCalendar, base: dt.datetime, minutes: int) -> MinuteCalendar:
    tz = ZoneInfo(calendar.time_zone)
    windows: dict[int, list[tuple[dt.time, dt.time | None]]] = {}
    for w in calendar.windows.all():
        end = None if w.end == dt.time(0) else w.end  # 00:00: midnight at the end of the day
        windows.setdefault(w.weekday, []).append((w.start, end))
    closed: set[dt.date] = set()
    recurring: set[tuple[int, int]] = set()
    for h in calendar.holidays.all():
        if h.closed_from is not None:
            continue  # partial closures: ignored by this simplified model
        if h.recurring:
            recurring.add((h.date.month, h.date.day))
        else:
            day = h.date
            while day <= (h.end_date or h.date):
                closed.add(day)
                day += dt.timedelta(days=1)
    mask = bytearray(minutes)
    base_ts = base.timestamp()
    day = base.astimezone(tz).date() - dt.timedelta(days=1)
    last = (base + dt.timedelta(minutes=minutes)).astimezone(tz).date()
    while day <= last:
        if day not in closed and (day.month, day.day) not in recurring:
            for start, end in windows.get(day.weekday(), ()):
                s = dt.datetime.combine(day, start, tzinfo=tz)
                e = (
                    dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
                    if end is None
                    else dt.datetime.combine(day, end, tzinfo=tz)
                )
                i = max(0, int((s.timestamp() - base_ts) // 60))
                j = min(minutes, int((e.timestamp() - base_ts) // 60))
                if j > i:
                    mask[i:j] = b"\x01" * (j - i)
        day += dt.timedelta(days=1)
    return MinuteCalendar(list(accumulate(mask, initial=0)))


# --- reference rows -----------------------------------------------------------------------


def _reference_rows(today: dt.date, years: list[int]) -> dict:
    """Calendars, policies, queues and categories of the load, fetched or created by name."""
    paris, created = BusinessCalendar.objects.get_or_create(
        name="Load - Paris", defaults={"time_zone": PARIS}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=paris, weekday=d, start=s, end=e)
            for d in range(5)
            for s, e in ((dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18)))
        )
    have = set(paris.holidays.values_list("date", flat=True))
    Holiday.objects.bulk_create(
        Holiday(calendar=paris, date=day, name=name)
        for year in years
        for day, name in french_public_holidays(year)
        if day not in have
    )
    montreal, created = BusinessCalendar.objects.get_or_create(
        name="Load - Montréal", defaults={"time_zone": MONTREAL}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=montreal, weekday=d, start=dt.time(8, 30), end=dt.time(17))
            for d in range(5)
        )
        Holiday.objects.bulk_create(
            Holiday(calendar=montreal, date=dt.date(today.year, m, d), name=n, recurring=True)
            for m, d, n in QUEBEC_HOLIDAYS
        )
    always, created = BusinessCalendar.objects.get_or_create(
        name="Load - 24x7", defaults={"time_zone": PARIS}
    )
    if created:
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=always, weekday=d, start=dt.time(0), end=dt.time(0))
            for d in range(7)
        )
    policies = {}
    for key, name, targets, warning in (
        ("standard", "Load - Standard", STANDARD_TARGETS, 75),
        ("premium", "Load - Premium 24x7 P1", PREMIUM_TARGETS, 70),
    ):
        policy, created = SLAPolicy.objects.get_or_create(
            name=name,
            defaults={"pause_statuses": ["waiting_on_customer"], "warning_percent": warning},
        )
        if created:
            SLATarget.objects.bulk_create(
                SLATarget(
                    policy=policy, priority=prio, first_response_minutes=fr,
                    resolution_minutes=res, next_response_minutes=fr * 2,
                    calendar=always if key == "premium" and prio == "P1" else None,
                )
                for prio, (fr, res) in targets.items()
            )  # fmt: skip
        policies[key] = policy
    queues = {
        slug: Queue.objects.get_or_create(slug=slug, defaults={"name": name, "email": email})[0]
        for slug, name, email, _ in QUEUES
    }
    categories = {
        slug: Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "client_visible": visible}
        )[0]
        for slug, name, visible in CATEGORIES
    }
    return {
        "calendars": {PARIS: paris, MONTREAL: montreal, "24x7": always},
        "policies": policies,
        "queues": queues,
        "categories": categories,
    }


#: A stop or resume that never comes, in minutes from the base.
INF = 1 << 40


def _timer(
    cal: MinuteCalendar,
    *,
    t0: int,
    target: int,
    warn: int,
    crit: int,
    now: int,
    stop: int,
    pause: tuple[int, int] | None,
) -> dict:
    """One timer at ``now``: started at t0, stopped at ``stop`` (INF if not), paused over
    ``pause`` (business minutes there do not count)."""
    end = min(now, stop)
    pw = pr = None
    if pause is not None and pause[0] < end:
        pw, pr = pause
    before = cal.between(t0, pw) if pw is not None else None

    def reach(minutes: int) -> int | None:
        if before is None or minutes <= before:
            return cal.add(t0, minutes)
        if pr >= INF or pr > end:  # still paused (or stopped while paused): not reached
            return None
        return cal.add(pr, minutes - before)

    if before is None:
        elapsed = cal.between(t0, end)
    elif pr <= end:
        elapsed = before + cal.between(pr, end)
    else:
        elapsed = before
    due = reach(target)
    if due is None and stop <= now:
        due = cal.add(stop, target - elapsed)  # the deadline in force at the stop
    warning = reach(-(-target * warn // 100))
    critical = reach(-(-target * crit // 100))
    if stop <= now:
        state = "stopped"
        breached = due is not None and due < stop
    elif pw is not None and pr > now:
        state = "paused"
        breached = due is not None and due <= pw
    else:
        state = "running"
        breached = due is not None and due <= now
    limit = min(now, stop)
    level = 3 if breached else (
        2 if critical is not None and critical <= limit
        else 1 if warning is not None and warning <= limit else 0
    )  # fmt: skip
    return {
        "state": state, "elapsed": elapsed * 60, "due": due, "warning": warning,
        "critical": critical, "breached": breached, "breach": due if breached else None,
        "stopped": stop if stop <= now else None, "level": level,
    }  # fmt: skip
