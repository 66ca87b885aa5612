"""The check state machine, on plain data: thresholds, flapping, maintenance, held transitions."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from monitoring import states
from monitoring.states import CheckView, evaluate

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def view(state="unknown", **kw) -> CheckView:
    base = {
        "state": state,
        "consecutive_failures": 0,
        "consecutive_successes": 0,
        "recent_outcomes": "",
        "flapping": False,
        "failure_threshold": 3,
        "recovery_threshold": 2,
        "last_alert_at": None,
    }
    base.update(kw)
    return CheckView(**base)


def run(outcomes, start: CheckView | None = None, step=dt.timedelta(minutes=1), **kw):
    """Feed results one by one; returns the decisions."""
    current = start or view()
    decisions = []
    for i, outcome in enumerate(outcomes):
        d = evaluate(current, outcome, at=T0 + i * step, **kw)
        decisions.append(d)
        current = CheckView(
            state=d.state,
            consecutive_failures=d.consecutive_failures,
            consecutive_successes=d.consecutive_successes,
            recent_outcomes=d.recent_outcomes,
            flapping=d.flapping,
            failure_threshold=current.failure_threshold,
            recovery_threshold=current.recovery_threshold,
            last_alert_at=d.last_alert_at,
        )
    return decisions


def test_first_success_makes_an_unknown_check_up():
    (d,) = run(["success"])
    assert d.state == "up"
    assert d.transition == ("unknown", "up", "")
    assert d.alerts == []


def test_down_only_after_three_failures_in_a_row_with_one_alert():
    ds = run(["success", "failure", "failure", "failure", "failure"])
    assert [d.state for d in ds] == ["up", "up", "up", "down", "down"]
    assert [d.alerts for d in ds] == [[], [], [], ["down"], []]
    assert ds[3].transition[:2] == ("up", "down")


def test_a_success_between_failures_resets_the_count():
    ds = run(["success", "failure", "failure", "success", "failure", "failure"])
    assert all(d.state == "up" for d in ds)
    assert not any(d.alerts for d in ds)


def test_up_again_only_after_two_successes_and_recovery_is_announced():
    ds = run(["failure"] * 3 + ["success", "failure", "success", "success"])
    assert [d.state for d in ds] == ["unknown", "unknown", "down", "down", "down", "down", "up"]
    assert ds[-1].alerts == ["recovered"]
    assert ds[-1].transition[:2] == ("down", "up")


def test_a_slow_result_shows_degraded_and_never_alerts():
    ds = run(["success", "degraded", "degraded", "success"])
    assert [d.state for d in ds] == ["up", "degraded", "degraded", "up"]
    assert not any(d.alerts for d in ds)


def test_recovery_into_a_degraded_state():
    ds = run(["failure"] * 3 + ["degraded", "degraded"])
    assert ds[-1].state == "degraded"
    assert ds[-1].alerts == ["recovered"]


def test_results_that_could_not_run_prove_nothing_until_a_whole_run_of_them():
    ds = run(["success", "error", "error", "error"])
    assert [d.state for d in ds] == ["up", "up", "up", "unknown"]
    assert ds[-1].consecutive_failures == 0
    assert not any(d.alerts for d in ds)


def test_still_down_is_told_at_most_hourly():
    ds = run(["failure"] * 130)  # one a minute
    kinds = [a for d in ds for a in d.alerts]
    assert kinds.count("down") == 1
    # Down at minute 2; reminders at 62 and 122.
    assert kinds.count("still_down") == 2


def test_maintenance_mutes_and_the_next_result_decides_afterwards():
    before = run(["success"])[-1]
    start = view(state=before.state, recent_outcomes=before.recent_outcomes)
    during = run(["failure"] * 5, start=start, in_maintenance=True, reason="Patch night")
    assert all(d.state == "maintenance" for d in during)
    assert not any(d.alerts for d in during)
    assert during[0].transition == ("up", "maintenance", "Patch night")
    # Still five failures in a row when the window ends: down at once, with its ticket.
    last = during[-1]
    after = evaluate(
        view(
            state="maintenance",
            consecutive_failures=last.consecutive_failures,
            recent_outcomes=last.recent_outcomes,
        ),
        "failure",
        at=T0 + dt.timedelta(hours=1),
    )
    assert after.state == "down"
    assert after.alerts == ["down"]


def test_leaving_maintenance_on_a_success_goes_up_without_recovery_alert():
    d = evaluate(view(state="maintenance"), "success", at=T0)
    assert d.state == "up"
    assert d.alerts == []


def test_held_down_transition_stays_up_and_goes_down_on_the_next_failure_once_released():
    ds = run(["success", "failure", "failure", "failure"], hold_down=True)
    assert ds[-1].state == "up"
    assert ds[-1].held is True
    assert ds[-1].alerts == []
    last = ds[-1]
    released = evaluate(
        view(
            state="up",
            consecutive_failures=last.consecutive_failures,
            recent_outcomes=last.recent_outcomes,
        ),
        "failure",
        at=T0 + dt.timedelta(minutes=5),
    )
    assert released.state == "down"
    assert released.alerts == ["down"]


def test_flapping_is_reported_once_instead_of_a_ticket_per_bounce():
    low = view(failure_threshold=1, recovery_threshold=1)
    ds = run(["success", "failure"] * 15, start=low)
    alerts = [a for d in ds for a in d.alerts]
    assert alerts.count("flapping") == 1
    # Before flapping was detected the check went down (and back) a few times ...
    first_flap = next(i for i, d in enumerate(ds) if "flapping" in d.alerts)
    assert first_flap < 12
    # ... and afterwards it bounces without any more down or recovered alerts.
    later = [a for d in ds[first_flap + 1 :] for a in d.alerts]
    assert later == []
    # State changes are still recorded, for availability.
    assert sum(1 for d in ds[first_flap + 1 :] if d.transition) > 5


def test_flapping_stops_with_hysteresis_and_a_check_left_down_then_gets_its_alert():
    low = view(failure_threshold=1, recovery_threshold=1)
    ds = run(["success", "failure"] * 8 + ["failure"] * 21, start=low)
    assert ds[15].flapping is True
    assert ds[-1].flapping is False
    stop = next(i for i in range(16, len(ds)) if not ds[i].flapping)
    assert ds[stop].state == "down"
    assert ds[stop].alerts == ["down"]


def test_flips_count_changes_between_ok_and_failing_and_skip_errors():
    assert states.flips("ssff") == 1
    assert states.flips("sfsf") == 3
    assert states.flips("sefes") == 2
    assert states.flips("sdsd") == 0  # degraded is ok


@given(st.lists(st.sampled_from(["success", "degraded", "failure", "error"]), max_size=80))
def test_invariants_hold_for_any_sequence(outcomes):
    ds = run(outcomes)
    for d in ds:
        assert len(d.recent_outcomes) <= states.HISTORY
        assert d.state in {"unknown", "up", "degraded", "down"}
        assert not (d.consecutive_failures and d.consecutive_successes)
        if d.transition:
            assert d.transition[0] != d.transition[1]
    # Every down alert is preceded by enough failures in a row (or the end of flapping).
    for i, d in enumerate(ds):
        if "down" in d.alerts and not (i and ds[i - 1].flapping):
            assert d.consecutive_failures >= 3
