"""Availability from state changes: what counts as up, down, or not at all."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.availability import availability

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
STATES = ["unknown", "up", "degraded", "down", "paused", "maintenance"]


def test_a_check_up_all_along_is_fully_available():
    a = availability([], state_before="up", start=T0, end=T0 + 24 * HOUR)

    assert a.ratio == 1
    assert a.up_seconds == 24 * 3600
    assert a.down_seconds == a.excluded_seconds == 0


def test_one_hour_down_in_a_day_weighs_one_twenty_fourth():
    changes = [(T0 + 10 * HOUR, "down"), (T0 + 11 * HOUR, "up")]

    a = availability(changes, state_before="up", start=T0, end=T0 + 24 * HOUR)

    assert a.down_seconds == 3600
    assert a.ratio == pytest.approx(23 / 24)


def test_degraded_counts_as_up():
    a = availability([(T0 + HOUR, "degraded")], state_before="up", start=T0, end=T0 + 2 * HOUR)

    assert a.ratio == 1


@pytest.mark.parametrize("state", ["unknown", "paused", "maintenance"])
def test_time_that_proves_nothing_is_left_out(state):
    changes = [(T0 + HOUR, state), (T0 + 2 * HOUR, "down"), (T0 + 3 * HOUR, "up")]

    a = availability(changes, state_before="up", start=T0, end=T0 + 4 * HOUR)

    assert a.excluded_seconds == 3600
    assert a.ratio == pytest.approx(2 / 3)


def test_nothing_counted_gives_no_ratio():
    a = availability([], state_before="maintenance", start=T0, end=T0 + HOUR)

    assert a.ratio is None
    assert a.percent is None
    assert a.excluded_seconds == 3600


def test_changes_before_the_period_set_the_starting_state():
    changes = [(T0 - HOUR, "down"), (T0 + HOUR, "up")]

    a = availability(changes, state_before="up", start=T0, end=T0 + 2 * HOUR)

    assert a.down_seconds == 3600
    assert a.up_seconds == 3600


def test_changes_after_the_period_are_ignored():
    changes = [(T0 + 2 * HOUR, "down")]

    a = availability(changes, state_before="up", start=T0, end=T0 + 2 * HOUR)

    assert a.ratio == 1


def test_an_empty_period_counts_nothing():
    a = availability([(T0, "down")], state_before="up", start=T0, end=T0)

    assert (a.up_seconds, a.down_seconds, a.excluded_seconds, a.ratio) == (0, 0, 0, None)


changes_strategy = st.lists(
    st.tuples(st.integers(min_value=-3600, max_value=90_000), st.sampled_from(STATES)),
    max_size=30,
).map(lambda rows: [(T0 + dt.timedelta(seconds=s), state) for s, state in sorted(rows)])


@given(changes=changes_strategy, before=st.sampled_from(STATES))
def test_the_three_buckets_always_add_up_to_the_period(changes, before):
    end = T0 + 24 * HOUR

    a = availability(changes, state_before=before, start=T0, end=end)

    assert a.up_seconds + a.down_seconds + a.excluded_seconds == pytest.approx(24 * 3600)
    assert min(a.up_seconds, a.down_seconds, a.excluded_seconds) >= 0
    assert a.ratio is None or 0 <= a.ratio <= 1


@given(changes=changes_strategy, before=st.sampled_from(STATES))
def test_splitting_the_period_in_two_changes_nothing(changes, before):
    middle, end = T0 + 7 * HOUR, T0 + 24 * HOUR
    state_at_middle = before
    for at, state in changes:
        if at < middle:
            state_at_middle = state

    whole = availability(changes, state_before=before, start=T0, end=end)
    first = availability(changes, state_before=before, start=T0, end=middle)
    second = availability(changes, state_before=state_at_middle, start=middle, end=end)

    assert first.up_seconds + second.up_seconds == pytest.approx(whole.up_seconds)
    assert first.down_seconds + second.down_seconds == pytest.approx(whole.down_seconds)


@given(changes=changes_strategy)
def test_never_down_means_fully_available_or_unknown(changes):
    changes = [(at, "up" if state == "down" else state) for at, state in changes]

    a = availability(changes, state_before="up", start=T0, end=T0 + 24 * HOUR)

    assert a.ratio in (None, 1)
