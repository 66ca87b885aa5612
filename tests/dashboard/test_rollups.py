"""The rollups add up to what live aggregates over tickets, timers and time entries say."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command

from msp_portal.celery import app
from msp_portal.dashboard import rollups
from msp_portal.dashboard.models import DurationDaily, MixDaily, RollupState, SlaDaily, TimeDaily
from msp_portal.dashboard.rollups import day_bounds, msp_zone, rollups_rebuild
from msp_portal.dashboard.selectors import (
    Period,
    Scope,
    percentile_exact,
    percentile_from_histogram,
    prorated_hours,
    sla_by_client,
    sla_by_priority_and_day,
)
from msp_portal.dashboard.tasks import dashboard_rollups_recent
from tests import factories
from tickets.models import SlaTimer, Ticket, TimeEntry

pytestmark = pytest.mark.django_db


def local_day(at):
    return at.astimezone(msp_zone()).date()


def live_sla(clients=None):
    """Per (client, priority): the same counts, straight from tickets and timers."""
    counts = defaultdict(Counter)
    tickets = Ticket.objects.all() if clients is None else Ticket.objects.filter(client__in=clients)
    for t in tickets:
        counts[(t.client_id, t.priority)]["opened"] += 1
        if t.resolved_at:
            counts[(t.client_id, t.priority)]["resolved"] += 1
    timers = SlaTimer.objects.filter(kind__in=["first_response", "resolution"])
    if clients is not None:
        timers = timers.filter(client__in=clients)
    for timer in timers:
        if timer.breached:
            counts[(timer.client_id, timer.priority)][f"{timer.kind}_breached"] += 1
        elif timer.outcome == "met":
            counts[(timer.client_id, timer.priority)][f"{timer.kind}_met"] += 1
    return counts


FIELDS = (
    "opened", "resolved", "first_response_met", "first_response_breached",
    "resolution_met", "resolution_breached",
)  # fmt: skip


def test_per_client_rows_match_live_counts(history):
    expected = live_sla()
    got = defaultdict(Counter)
    for row in SlaDaily.objects.per_client():
        for name in FIELDS:
            got[(row.client_id, row.priority)][name] += getattr(row, name)

    assert {k: +v for k, v in got.items()} == {k: +v for k, v in expected.items()}
    assert sum(v["first_response_met"] for v in expected.values()) > 0
    assert sum(v["resolution_breached"] + v["first_response_breached"] for v in expected.values())


def test_msp_wide_rows_are_the_sum_of_the_client_rows(history):
    per_day = defaultdict(Counter)
    for row in SlaDaily.objects.per_client():
        per_day[(row.day, row.priority)].update({n: getattr(row, n) for n in FIELDS})
    totals = {
        (row.day, row.priority): Counter({n: getattr(row, n) for n in FIELDS})
        for row in SlaDaily.objects.totals()
    }
    assert {k: +v for k, v in per_day.items()} == {k: +v for k, v in totals.items()}
    for model, field in ((MixDaily, "opened"), (DurationDaily, "count"), (TimeDaily, "minutes")):
        clients = sum(getattr(r, field) for r in model.objects.per_client())
        assert clients == sum(getattr(r, field) for r in model.objects.totals()) > 0


def test_days_are_the_msps_days_and_match_opening_dates(history):
    opened = Counter(local_day(t.created_at) for t in Ticket.objects.all())
    rolled = Counter()
    for row in SlaDaily.objects.totals():
        rolled[row.day] += row.opened
    assert +rolled == opened


def test_mix_time_and_durations_match_live_rows(history):
    mix = Counter()
    for row in MixDaily.objects.per_client():
        mix[(row.client_id, row.category_id, row.source)] += row.opened
    assert mix == Counter((t.client_id, t.category_id, t.source) for t in Ticket.objects.all())

    minutes = Counter()
    for row in TimeDaily.objects.per_client():
        minutes[(row.client_id, row.contract_id, row.technician_id, row.billable)] += row.minutes
    live = Counter()
    for e in TimeEntry.objects.select_related("ticket"):
        live[(e.client_id, e.ticket.contract_id, e.technician_id, e.billable)] += e.minutes
    assert minutes == live

    stopped = SlaTimer.objects.filter(kind__in=["first_response", "resolution"], state="stopped")
    buckets = Counter(
        (t.client_id, t.kind, t.priority, rollups.bucket_of(t.elapsed_seconds)) for t in stopped
    )
    rolled = Counter()
    for row in DurationDaily.objects.per_client():
        rolled[(row.client_id, row.kind, row.priority, row.bucket)] += row.count
    assert rolled == buckets


def test_a_restricted_technician_and_a_one_client_view_sum_only_their_clients(history, globex):
    restricted = factories.UserFactory(role="technician", sees_all_clients=False)
    restricted.allowed_clients.set([globex, history["initech"]])
    period = Period(history["today"] - dt.timedelta(days=25), history["today"])
    expected = live_sla([globex, history["initech"]])

    _rows, total, trend = sla_by_priority_and_day(Scope(user=restricted), period)

    for name in FIELDS:
        assert getattr(total, name) == sum(v[name] for v in expected.values()), name
    assert {r.key for r in sla_by_client(Scope(user=restricted), period)} == {
        globex.pk,
        history["initech"].pk,
    }
    one = sla_by_client(Scope(user=restricted, client=globex), period)
    assert [r.key for r in one] == [globex.pk]
    assert one[0].opened == sum(v["opened"] for (c, _p), v in expected.items() if c == globex.pk)
    assert sum(o for _d, o, _c in trend) == total.opened


def test_a_rebuild_is_idempotent_and_records_when_it_ran(history):
    today = history["today"]
    before = sorted(SlaDaily.objects.values_list("day", "client_id", "priority", "opened"), key=str)

    rollups_rebuild(start=today - dt.timedelta(days=25), end=today)
    rollups_rebuild(start=today - dt.timedelta(days=1), end=today)

    after = sorted(SlaDaily.objects.values_list("day", "client_id", "priority", "opened"), key=str)
    assert after == before
    state = RollupState.objects.get()
    assert state.computed_at is not None and state.last_day == today


def test_the_command_backfills_and_the_beat_task_refreshes_today(history):
    SlaDaily.objects.all().delete()

    call_command("rollups_rebuild", "--days", "30", stdout=io.StringIO())
    assert SlaDaily.objects.totals().exists()

    SlaDaily.objects.all().delete()
    dashboard_rollups_recent.delay()
    days = set(SlaDaily.objects.values_list("day", flat=True))
    assert days and days <= {history["today"], history["today"] - dt.timedelta(days=1)}


def test_the_beat_schedule_refreshes_the_rollups_every_five_minutes():
    entry = app.conf.beat_schedule["dashboard-rollups"]

    assert entry["task"] == "msp_portal.dashboard.tasks.dashboard_rollups_recent"
    assert entry["task"] == dashboard_rollups_recent.name
    assert entry["options"]["expires"] < entry["schedule"] == 300


def test_day_bounds_follow_the_msp_time_zone_across_a_dst_change(settings):
    settings.TIME_ZONE = "Europe/Paris"
    low, high = day_bounds(dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert high.astimezone(dt.UTC) - low.astimezone(dt.UTC) == dt.timedelta(
        hours=23
    )  # clocks go forward that night


def test_histogram_percentiles_stay_within_five_per_cent_of_the_exact_ones():
    rng = random.Random(1)
    for _trial in range(20):
        values = [rng.lognormvariate(8, 1.5) for _ in range(rng.randint(1, 800))]
        counts = Counter(rollups.bucket_of(v) for v in values)
        for p in (0.5, 0.9):
            exact = percentile_exact(values, p)
            approx = percentile_from_histogram(counts, p)
            if exact >= 60:
                assert abs(approx - exact) / exact <= 0.05, (p, exact, approx)
            else:
                assert abs(approx - exact) <= 60


def test_included_hours_are_prorated_month_by_month():
    from decimal import Decimal

    period = Period(dt.date(2026, 1, 17), dt.date(2026, 2, 14))
    # 15 of January's 31 days and 14 of February's 28.
    expected = Decimal(10) * 15 / 31 + Decimal(10) * 14 / 28
    assert prorated_hours(Decimal(10), dt.date(2025, 1, 1), None, period) == expected.quantize(
        Decimal("0.01")
    )
    assert prorated_hours(Decimal(10), dt.date(2026, 2, 1), dt.date(2026, 2, 7), period) == Decimal(
        "2.50"
    )
    assert prorated_hours(Decimal(10), dt.date(2026, 3, 1), None, period) == 0
