"""Hourly and daily rollups of results, and the pruning of raw results past retention."""

from __future__ import annotations

import datetime as dt

import pytest

from monitoring import rollups
from monitoring.models import CheckResult, CheckRollup
from tests import factories

pytestmark = pytest.mark.django_db

H = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def result(check, at, outcome="success", latency=10.0):
    return factories.CheckResultFactory(
        monitor=check, client=check.client, checked_at=at, outcome=outcome, latency_ms=latency
    )


def test_an_hour_is_rolled_up_with_counts_and_response_times(acme):
    check = factories.CheckFactory(client=acme)
    for minute, latency in enumerate(range(10, 210, 10)):  # 20 results, 10..200 ms
        result(check, H + dt.timedelta(minutes=minute), latency=latency)
    result(check, H + dt.timedelta(minutes=30), outcome="failure", latency=None)
    result(check, H + dt.timedelta(minutes=31), outcome="degraded", latency=900)
    result(check, H + dt.timedelta(hours=1, minutes=5))  # the next hour
    assert rollups.rollup_hours(start=H, end=H + dt.timedelta(hours=2)) == 2
    row = CheckRollup.objects.get(monitor=check, period="hour", start=H)
    assert (row.successes, row.degraded, row.failures, row.errors) == (20, 1, 1, 0)
    assert row.latency_min_ms == 10
    assert row.latency_avg_ms == pytest.approx((sum(range(10, 210, 10)) + 900) / 21)
    values = sorted([*range(10, 210, 10), 900])
    assert row.latency_p95_ms == pytest.approx(rollups.percentile(values, 0.95))
    assert row.client == acme


def test_rolling_up_twice_changes_nothing_and_late_results_are_counted(acme):
    check = factories.CheckFactory(client=acme)
    result(check, H + dt.timedelta(minutes=1))
    rollups.rollup_hours(start=H, end=H + dt.timedelta(hours=1))
    rollups.rollup_hours(start=H, end=H + dt.timedelta(hours=1))
    assert CheckRollup.objects.count() == 1
    result(check, H + dt.timedelta(minutes=2), outcome="failure")
    rollups.rollup_hours(start=H, end=H + dt.timedelta(hours=1))
    row = CheckRollup.objects.get()
    assert (row.successes, row.failures) == (1, 1)


def test_a_day_is_built_from_its_hours(acme):
    check = factories.CheckFactory(client=acme)
    day = H.replace(hour=0)
    for hour in (1, 2, 3):
        for i in range(hour):  # 1, 2 and 3 results
            result(check, day + dt.timedelta(hours=hour, minutes=i), latency=100.0 * hour)
    result(check, day + dt.timedelta(hours=4), outcome="failure", latency=None)
    rollups.rollup_hours(start=day, end=day + dt.timedelta(days=1))
    rollups.rollup_days(start=day.date(), end=day.date() + dt.timedelta(days=1))
    row = CheckRollup.objects.get(period="day")
    assert row.start == day
    assert (row.successes, row.failures) == (6, 1)
    assert row.latency_min_ms == 100
    # Weighted by results: (100*1 + 200*2 + 300*3) / 6
    assert row.latency_avg_ms == pytest.approx(1400 / 6)
    assert row.latency_p95_ms == 300


def test_percentile_interpolates_like_postgresql():
    assert rollups.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert rollups.percentile([5], 0.95) == 5
    assert rollups.percentile([], 0.95) is None


def test_prune_deletes_only_results_past_retention_in_batches(acme, settings, monkeypatch):
    settings.MONITORING_RESULT_RETENTION_DAYS = 14
    monkeypatch.setattr(rollups, "PRUNE_BATCH", 3)
    check = factories.CheckFactory(client=acme)
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
    old = [result(check, now - dt.timedelta(days=15, minutes=i)) for i in range(7)]
    kept = result(check, now - dt.timedelta(days=13))
    old_hour = CheckRollup.objects.create(
        client=acme, monitor=check, period="hour", start=now - dt.timedelta(days=400)
    )
    old_day = CheckRollup.objects.create(
        client=acme, monitor=check, period="day", start=now - dt.timedelta(days=400)
    )
    assert rollups.results_prune(now=now) == len(old)
    assert list(CheckResult.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not CheckRollup.objects.filter(pk=old_hour.pk).exists()
    assert CheckRollup.objects.filter(pk=old_day.pk).exists()  # days are kept for good


def test_the_hourly_task_rolls_up_the_recent_hours_and_their_day(acme):
    check = factories.CheckFactory(client=acme)
    result(check, H + dt.timedelta(minutes=5))
    written = rollups.rollup_recent(now=H + dt.timedelta(minutes=50))
    assert written == 2
    assert set(CheckRollup.objects.values_list("period", flat=True)) == {"hour", "day"}


def test_the_next_run_starts_from_the_last_hour_rolled_up(acme):
    check = factories.CheckFactory(client=acme)
    result(check, H - dt.timedelta(hours=30))  # before the last rolled hour: not re-read
    CheckRollup.objects.create(client=acme, monitor=check, period="hour", start=H)
    result(check, H + dt.timedelta(minutes=10), outcome="failure")
    result(check, H + dt.timedelta(hours=1, minutes=10))
    rollups.rollup_recent(now=H + dt.timedelta(hours=1, minutes=30))
    hours = dict(CheckRollup.objects.filter(period="hour").values_list("start", "failures"))
    assert hours == {H: 1, H + dt.timedelta(hours=1): 0}
