"""Maintenance windows in the client's wall-clock time, across DST and short months."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from monitoring.maintenance import active_at, occurrences

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")
UTC = dt.UTC


def local(tz, *args):
    return dt.datetime(*args, tzinfo=tz)


def window(tz, start, end, recurrence="none", repeat_until=None):
    return {
        "starts_at": local(tz, *start),
        "ends_at": local(tz, *end),
        "recurrence": recurrence,
        "repeat_until": repeat_until,
        "tz": tz,
    }


def test_a_one_off_window_is_active_inside_only():
    w = window(PARIS, (2026, 11, 20, 22, 0), (2026, 11, 21, 2, 0))
    assert active_at(**w, at=local(PARIS, 2026, 11, 20, 23, 30))
    assert active_at(**w, at=local(PARIS, 2026, 11, 21, 2, 0)) is None  # end is exclusive
    assert active_at(**w, at=local(PARIS, 2026, 11, 20, 21, 59)) is None


def test_a_weekly_window_keeps_its_local_hours_across_the_dst_change():
    # Sundays 02:00-04:00 Paris, first one in summer time (UTC+2); on 1 November it is UTC+1.
    w = window(PARIS, (2026, 10, 4, 2, 0), (2026, 10, 4, 4, 0), "weekly")
    found = list(
        occurrences(**w, start=dt.datetime(2026, 10, 1, tzinfo=UTC),
                    end=dt.datetime(2026, 11, 9, tzinfo=UTC))
    )  # fmt: skip
    starts = [o.starts_at.astimezone(PARIS).strftime("%a %d %H:%M") for o in found]
    assert starts == ["Sun 04 02:00", "Sun 11 02:00", "Sun 18 02:00", "Sun 25 02:00",
                      "Sun 01 02:00", "Sun 08 02:00"]  # fmt: skip
    assert found[0].starts_at.hour == 0  # 02:00 CEST is 00:00 UTC ...
    assert found[-1].starts_at.hour == 1  # ... and 02:00 CET is 01:00 UTC
    assert active_at(**w, at=dt.datetime(2026, 11, 8, 1, 30, tzinfo=UTC))
    assert active_at(**w, at=dt.datetime(2026, 11, 8, 0, 30, tzinfo=UTC)) is None


def test_a_daily_window_in_montreal_is_evaluated_in_montreal_time():
    w = window(MONTREAL, (2026, 1, 5, 23, 0), (2026, 1, 6, 1, 0), "daily")
    # 23:30 in Montreal on a July day is 03:30 UTC the next day.
    assert active_at(**w, at=dt.datetime(2026, 7, 16, 3, 30, tzinfo=UTC))
    assert active_at(**w, at=dt.datetime(2026, 7, 16, 23, 30, tzinfo=UTC)) is None


def test_a_monthly_window_on_the_31st_falls_on_the_last_day_of_short_months():
    w = window(PARIS, (2026, 1, 31, 20, 0), (2026, 1, 31, 22, 0), "monthly")
    found = list(
        occurrences(**w, start=dt.datetime(2026, 1, 1, tzinfo=UTC),
                    end=dt.datetime(2026, 5, 1, tzinfo=UTC))
    )  # fmt: skip
    assert [o.starts_at.astimezone(PARIS).date().isoformat() for o in found] == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30",
    ]  # fmt: skip


def test_repeat_until_is_the_last_local_day_an_occurrence_may_start():
    w = window(PARIS, (2026, 11, 2, 22, 0), (2026, 11, 2, 23, 0), "daily",
               repeat_until=dt.date(2026, 11, 4))  # fmt: skip
    found = list(
        occurrences(**w, start=dt.datetime(2026, 11, 1, tzinfo=UTC),
                    end=dt.datetime(2026, 12, 1, tzinfo=UTC))
    )  # fmt: skip
    assert len(found) == 3
    assert active_at(**w, at=local(PARIS, 2026, 11, 5, 22, 30)) is None


def test_an_old_recurring_window_is_found_without_walking_years_of_occurrences():
    w = window(PARIS, (2016, 1, 3, 2, 0), (2016, 1, 3, 4, 0), "weekly")
    # 2026-11-22 is a Sunday.
    assert active_at(**w, at=local(PARIS, 2026, 11, 22, 3, 0))
    assert active_at(**w, at=local(PARIS, 2026, 11, 23, 3, 0)) is None
