"""The pure SLA core against the shared conformance vectors, plus what the vectors leave out."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts import sla
from contracts.sla import (
    DST_PROFILE,
    BusinessTimeSearchExhausted,
    Calendar,
    CalendarHasNoBusinessHours,
    Event,
    Holiday,
    InvalidCalendar,
    InvalidPolicy,
    Policy,
    UnknownPriority,
    add_minutes,
    add_seconds,
    business_seconds_between,
    evaluate,
    is_business,
    next_business_instant,
    run_vector,
)

# A verbatim copy of shared/sla/vectors.json: the suite must not reach outside the repository.
VECTORS = json.loads(Path(__file__).with_name("sla_vectors.json").read_text())
FIXTURES = VECTORS["fixtures"]
CALENDARS = FIXTURES["calendars"]
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

WEEKDAYS_9_17 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ALL_DAY = {day: [["00:00", "24:00"]] for day in sla._WEEKDAYS}


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def cal(tz: str = "Europe/Berlin", weekly: dict | None = None, holidays: list | None = None):
    return Calendar.from_spec({"tz": tz, "weekly": weekly or WEEKDAYS_9_17, "holidays": holidays})


def assert_same(expected: Any, actual: Any, where: str) -> None:
    """Partial comparison (vector conventions): only what `expected` lists is asserted."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            assert_same(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            assert_same(e, a, f"{where}[{i}]")
    elif isinstance(expected, str) and ISO_INSTANT.match(expected):
        # Instants must be the same instant AND be rendered with the same offset.
        assert actual is not None and dt(actual) == dt(expected), f"{where}: {actual}"
        assert actual == expected, f"{where}: rendered {actual}, expected {expected}"
    elif isinstance(expected, bool) or expected is None:
        assert actual is expected, f"{where}: {actual!r}"
    else:
        assert actual == expected and not isinstance(actual, bool), f"{where}: {actual!r}"


def expected_for(vector: dict) -> dict:
    if "expected_error" in vector:
        return {"error": vector["expected_error"]}
    key = "expected" if "expected" in vector else "expected_minutes"
    if DST_PROFILE == "FOLD0" and "expected_fold0_profile" in vector:
        key = "expected_fold0_profile"
    return {"result": vector[key]}


def test_the_implementation_declares_the_normative_dst_profile():
    assert DST_PROFILE == "MEMBERSHIP"


@pytest.mark.parametrize("vector", VECTORS["calendar_vectors"], ids=lambda v: v["id"])
def test_calendar_vector(vector):
    assert_same(expected_for(vector), run_vector(vector, FIXTURES), vector["id"])


TICKET_CASES = [
    pytest.param(vector, i, id=f"{vector['id']}@{checkpoint['now']}")
    for vector in VECTORS["ticket_vectors"]
    for i, checkpoint in enumerate(vector["checkpoints"])
]


@pytest.mark.parametrize(("vector", "index"), TICKET_CASES)
def test_ticket_vector(vector, index):
    checkpoint = vector["checkpoints"][index]
    actual = run_vector(vector, FIXTURES)["checkpoints"][index]
    assert_same(checkpoint["expected"], actual, vector["id"])


def test_ticket_vectors_report_every_field_of_every_timer():
    vector = next(v for v in VECTORS["ticket_vectors"] if v["id"] == "T11")
    timers = run_vector(vector, FIXTURES)["checkpoints"][0]
    fields = {
        "kind", "cycle", "priority", "target_minutes", "state", "started_at",
        "elapsed_business_seconds", "elapsed_business_minutes", "percent",
        "remaining_business_minutes", "due_at", "warning_at", "critical_at", "breached",
        "breach_at", "risk", "outcome", "stopped_at",
    }  # fmt: skip
    for timer in (timers["first_response"], timers["resolution"], *timers["next_response_cycles"]):
        assert set(timer) == fields


# --- calendar validation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "weekly",
    [
        {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]},
        {"mon": [["22:00", "06:00"]], "tue": [["05:00", "09:00"]]},  # overlap after the split
        {"sun": [["20:00", "02:00"]], "mon": [["01:00", "03:00"]]},  # Sunday wraps to Monday
        {"mon": [["09:00", "09:00"]]},
        {"mon": [["25:00", "26:00"]]},
        {"mon": [["09:00", "24:30"]]},
        {"mon": [["24:00", "09:00"]]},
        {"mon": [["22:00", "00:00"]]},  # an end is in (00:00, 24:00]; write 24:00
        {"mon": [["9:00", "17:00"]]},
        {"mon": [["09:00"]]},
        {"mon": "09:00-17:00"},
        {"monday": [["09:00", "17:00"]]},
    ],
)
def test_malformed_weekly_windows_are_rejected(weekly):
    with pytest.raises(InvalidCalendar):
        Calendar.from_spec({"tz": "Europe/Berlin", "weekly": weekly})


@pytest.mark.parametrize(
    "holiday",
    [
        {"date": "2025-02-30"},
        {"date": "25-12-2025"},
        {"recurring": "02-30"},
        {"recurring": "2-9"},
        {"from_date": "2025-08-15", "to_date": "2025-08-11"},
        {"from_date": "2025-08-11"},
        {"date": "2025-12-24", "closed_from": "12:00"},
        {"date": "2025-12-24", "closed_from": "14:00", "closed_to": "12:00"},
        {
            "from_date": "2025-08-11",
            "to_date": "2025-08-15",
            "closed_from": "12:00",
            "closed_to": "13:00",
        },
        {"date": "2025-12-24", "recurring": "12-24"},
        {"day": "2025-12-24"},
    ],
)
def test_malformed_holidays_are_rejected(holiday):
    with pytest.raises(InvalidCalendar):
        cal(holidays=[holiday])


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", None, "+02:00"])
def test_unknown_time_zones_are_rejected(tz):
    with pytest.raises(InvalidCalendar):
        cal(tz=tz)


def test_unknown_calendar_keys_are_rejected():
    with pytest.raises(InvalidCalendar):
        Calendar.from_spec({"tz": "UTC", "weekly": ALL_DAY, "holiday": []})


@pytest.mark.parametrize(
    "weekly",
    [
        ((),) * 6,  # six weekdays
        ((("09:00", "17:00"),),) + ((),) * 6,  # strings: the constructor takes seconds
        (((9 * 3600,),),) + ((),) * 6,
        (((True, 3600),),) + ((),) * 6,
        (((-1, 3600),),) + ((),) * 6,
    ],
)
def test_malformed_direct_construction_is_an_invalid_calendar(weekly):
    with pytest.raises(InvalidCalendar):
        Calendar("UTC", weekly)


def test_touching_windows_merge_and_overnight_windows_split_at_midnight():
    c = cal(weekly={"mon": [["13:00", "17:00"], ["09:00", "13:00"]], "sun": [["22:00", "06:00"]]})
    assert c.weekly[0] == ((0, 6 * 3600), (9 * 3600, 17 * 3600))
    assert c.weekly[6] == ((22 * 3600, 86400),)


def test_a_calendar_without_business_hours_fails_at_construction():
    with pytest.raises(CalendarHasNoBusinessHours):
        Calendar.from_spec({"tz": "Europe/Berlin", "weekly": {"mon": [], "sat": []}})
    with pytest.raises(CalendarHasNoBusinessHours):
        Calendar("UTC", ((),) * 7)
    with pytest.raises(CalendarHasNoBusinessHours):
        Calendar.from_spec({"tz": "UTC"})


def test_a_calendar_without_business_hours_fails_at_run_time():
    empty = {"tz": "Europe/Berlin", "weekly": {}}
    vector = {"calendar": empty, "op": "add", "start": "2025-06-02T09:00:00+02:00", "minutes": 5}
    assert run_vector(vector, FIXTURES) == {"error": "CalendarHasNoBusinessHours"}
    policy = dict(FIXTURES["policies"]["STD"], calendar=empty)
    with pytest.raises(CalendarHasNoBusinessHours):
        Policy.from_spec(policy, CALENDARS)


def test_calendar_errors_are_sla_errors():
    assert issubclass(CalendarHasNoBusinessHours, InvalidCalendar)
    assert all(
        issubclass(e, sla.SLAError)
        for e in (InvalidCalendar, BusinessTimeSearchExhausted, InvalidPolicy, UnknownPriority)
    )


# --- to_spec ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_fixture_calendars_round_trip_through_to_spec(name):
    spec = CALENDARS[name]
    c = Calendar.from_spec(spec)
    assert c.to_spec() == spec
    assert Calendar.from_spec(c.to_spec()) == c and hash(Calendar.from_spec(spec)) == hash(c)


def test_a_calendar_with_every_kind_of_holiday_round_trips():
    spec = {
        "tz": "Europe/Berlin",
        "weekly": {"mon": [["09:00", "12:00"], ["13:00", "17:30"]], "sat": [["22:00", "06:00"]]},
        "holidays": [
            {"date": "2025-12-24", "closed_from": "12:00", "closed_to": "24:00", "name": "Eve"},
            {"recurring": "02-29"},
            {"recurring": "12-31", "closed_from": "13:00", "closed_to": "24:00"},
            {"from_date": "2025-08-11", "to_date": "2025-08-15"},
            {"date": "2026-01-01"},
        ],
    }
    c = Calendar.from_spec(spec)
    again = c.to_spec()
    # Normalised: the overnight window appears split at midnight.
    assert again["weekly"]["sat"] == [["22:00", "24:00"]]
    assert again["weekly"]["sun"] == [["00:00", "06:00"]]
    assert again["holidays"] == spec["holidays"]
    assert Calendar.from_spec(again) == c
    assert Calendar.from_spec(again).to_spec() == again


def test_second_precision_window_bounds_round_trip():
    c = Calendar("UTC", (((9 * 3600 + 30, 17 * 3600),),) + ((),) * 6)
    assert c.to_spec()["weekly"] == {"mon": [["09:00:30", "17:00"]]}
    assert Calendar.from_spec(c.to_spec()) == c


# --- holidays -----------------------------------------------------------------------------


def test_recurring_february_29_closes_only_in_leap_years():
    c = cal(holidays=[{"recurring": "02-29"}])
    leap_day = dt("2028-02-29T00:00:00+01:00")  # a Tuesday
    assert business_seconds_between(c, leap_day, leap_day + timedelta(days=1)) == 0
    assert add_minutes(c, dt("2028-02-28T16:00:00+01:00"), 120) == dt("2028-03-01T10:00:00+01:00")
    # 2027 has no 29 February: neither Friday 26 February nor Monday 1 March is closed.
    week = business_seconds_between(
        c, dt("2027-02-26T00:00:00+01:00"), dt("2027-03-02T00:00+01:00")
    )
    assert week == 2 * 8 * 3600


def test_a_full_day_holiday_removes_the_tail_of_an_overnight_window():
    noc = cal(weekly={"fri": [["22:00", "06:00"]]}, holidays=[{"date": "2025-06-07"}])
    start, end = dt("2025-06-06T20:00:00+02:00"), dt("2025-06-07T12:00:00+02:00")
    assert business_seconds_between(noc, start, end) == 2 * 3600  # Friday 22-24 only
    assert not is_business(noc, dt("2025-06-07T01:00:00+02:00"))
    # Next Friday night is whole again: 2 h left after Friday 22-24, found on Saturday 14 June.
    assert add_minutes(noc, start, 240) == dt("2025-06-14T00:00:00+02:00")


def test_a_partial_closure_cuts_the_window():
    c = cal(holidays=[{"date": "2025-06-04", "closed_from": "12:00", "closed_to": "14:00"}])
    day = dt("2025-06-04T00:00:00+02:00")
    assert business_seconds_between(c, day, day + timedelta(days=1)) == 6 * 3600
    assert add_minutes(c, dt("2025-06-04T11:00:00+02:00"), 90) == dt("2025-06-04T14:30:00+02:00")


# --- searches, horizon --------------------------------------------------------------------


def test_the_search_horizon_is_731_local_days_inclusive():
    start = dt("2025-01-01T00:00:00+01:00")
    reachable = cal(weekly=ALL_DAY, holidays=[{"from_date": "2025-01-01", "to_date": "2027-01-01"}])
    assert add_minutes(reachable, start, 1) == dt("2027-01-02T00:01:00+01:00")  # day 731
    beyond = cal(weekly=ALL_DAY, holidays=[{"from_date": "2025-01-01", "to_date": "2027-01-02"}])
    with pytest.raises(BusinessTimeSearchExhausted):
        add_minutes(beyond, start, 1)
    with pytest.raises(BusinessTimeSearchExhausted):
        next_business_instant(beyond, start)


def test_holidays_covering_everything_raise_quickly_instead_of_hanging():
    shut = cal(
        tz="Australia/Lord_Howe", holidays=[{"from_date": "2020-01-01", "to_date": "2030-12-31"}]
    )
    began = time.perf_counter()
    with pytest.raises(BusinessTimeSearchExhausted):
        add_minutes(shut, dt("2025-03-01T10:00:00+11:00"), 60)
    assert time.perf_counter() - began < 2


def test_adding_zero_and_negative_amounts():
    c = Calendar.from_spec(CALENDARS["BERLIN_9_17"])
    saturday = dt("2025-06-07T11:00:00+02:00")
    assert add_seconds(c, saturday, 0) == saturday
    with pytest.raises(ValueError):
        add_minutes(c, saturday, -1)


def test_naive_datetimes_are_rejected():
    c = Calendar.from_spec(CALENDARS["BERLIN_9_17"])
    with pytest.raises(ValueError):
        add_minutes(c, datetime(2025, 6, 3, 10), 5)
    with pytest.raises(ValueError):
        business_seconds_between(c, datetime(2025, 6, 3, 10), dt("2025-06-03T12:00:00+02:00"))


def test_sub_second_input_is_truncated_to_the_second():
    c = Calendar.from_spec(CALENDARS["BERLIN_9_17"])
    start = dt("2025-06-03T16:59:30.900000+02:00")
    assert add_seconds(c, start, 60) == dt("2025-06-04T09:00:30+02:00")
    assert business_seconds_between(c, start, dt("2025-06-03T17:30:00.5+02:00")) == 30


def test_membership_and_next_business_instant_in_the_spring_gap():
    gap = cal(weekly={"sun": [["02:30", "04:00"]]})
    assert is_business(gap, dt("2025-03-30T03:15:00+02:00"))
    assert not is_business(gap, dt("2025-03-30T04:00:00+02:00"))
    sunday = dt("2025-03-30T00:00:00+01:00")
    assert next_business_instant(gap, sunday).isoformat() == "2025-03-30T03:00:00+02:00"
    inside = dt("2025-03-30T03:10:00+02:00")
    assert next_business_instant(gap, inside) == inside


def test_overlap_window_counts_both_passes_of_the_wall_clock():
    overlap = cal(weekly={"sun": [["02:00", "02:30"]]})
    first, second = dt("2025-10-26T02:10:00+02:00"), dt("2025-10-26T02:10:00+01:00")
    assert is_business(overlap, first) and is_business(overlap, second)
    assert not is_business(overlap, dt("2025-10-26T02:40:00+02:00"))
    # 20 min left in the first pass, 10 in the second.
    assert add_minutes(overlap, first, 30).isoformat() == "2025-10-26T02:10:00+01:00"


# --- other zones --------------------------------------------------------------------------


def test_half_hour_offset_kolkata():
    c = Calendar.from_spec(CALENDARS["KOLKATA_MON_SAT"])
    result = add_minutes(c, dt("2025-06-07T18:00:00+05:30"), 120)  # Saturday, Sunday closed
    assert result.isoformat() == "2025-06-09T11:00:00+05:30"
    assert business_seconds_between(c, dt("2025-06-07T18:00:00+05:30"), result) == 7200


def test_quarter_hour_offset_chatham_across_its_dst_start():
    c = cal(tz="Pacific/Chatham", weekly=ALL_DAY)
    start = dt("2025-09-28T02:00:00+12:45")  # clocks jump 02:45 -> 03:45
    assert add_minutes(c, start, 60).isoformat() == "2025-09-28T04:00:00+13:45"
    day = business_seconds_between(c, dt("2025-09-28T00:00:00+12:45"), dt("2025-09-29T00:00+13:45"))
    assert day == 23 * 3600


def test_sydney_southern_hemisphere_dst():
    c = Calendar.from_spec(CALENDARS["SYD_9_17"])
    # DST ends Sunday 6 April 2025, starts Sunday 5 October 2025.
    autumn = add_minutes(c, dt("2025-04-04T16:00:00+11:00"), 120)
    assert autumn.isoformat() == "2025-04-07T10:00:00+10:00"
    spring = add_minutes(c, dt("2025-10-03T16:00:00+10:00"), 120)
    assert spring.isoformat() == "2025-10-06T10:00:00+11:00"
    nonstop = cal(tz="Australia/Sydney", weekly=ALL_DAY)
    fall_back = dt("2025-04-06T00:00:00+11:00"), dt("2025-04-07T00:00:00+10:00")
    assert business_seconds_between(nonstop, *fall_back) == 25 * 3600


def test_a_midnight_dst_gap_santiago():
    c = cal(tz="America/Santiago", weekly=ALL_DAY)
    # 2025-09-07: local midnight does not exist, the day starts at 01:00 -03.
    day = business_seconds_between(c, dt("2025-09-06T00:00:00-04:00"), dt("2025-09-08T00:00-03:00"))
    assert day == 47 * 3600
    assert add_minutes(c, dt("2025-09-06T23:30:00-04:00"), 60).isoformat() == (
        "2025-09-07T01:30:00-03:00"
    )


# --- policies -----------------------------------------------------------------------------


STD = FIXTURES["policies"]["STD"]


@pytest.mark.parametrize(
    "change",
    [
        {"targets": {"P1": {"first_response": 0, "resolution": 240}}},
        {"targets": {"P1": {"first_response": 60, "resolution": 24.5}}},
        {"targets": {"P1": {"first_response": 60, "resolution": 240, "next_response": -5}}},
        {"targets": {}},
        {"thresholds": {"warning": 95, "critical": 90}},
        {"thresholds": {"warning": 0, "critical": 90}},
        {"thresholds": {"warning": 75, "critical": 100}},
        {"priority_change_anchor": "whenever"},
        {"reopen": "new_cycle"},
        {"pause_statuses": ["resolved"]},
        {"calendar": "NOWHERE"},
        {"escalate": True},
    ],
)
def test_malformed_policies_are_rejected(change):
    with pytest.raises(InvalidPolicy):
        Policy.from_spec({**STD, **change}, CALENDARS)


def test_policy_calendars_by_name_inline_and_per_target():
    mix = Policy.from_spec(FIXTURES["policies"]["MIX_P1_24x7"], CALENDARS)
    assert mix.targets["P1"].calendar == Calendar.from_spec(CALENDARS["BERLIN_24x7"])
    assert mix.targets["P3"].calendar == Calendar.from_spec(CALENDARS["BERLIN_9_17"])
    assert mix.targets["P3"].next_response is None
    inline = Policy.from_spec(FIXTURES["policies"]["STD_HOLIDAY_0609"], CALENDARS)
    assert inline.targets["P1"].calendar.holidays == (
        Holiday(start=date(2025, 6, 9), end=date(2025, 6, 9)),
    )
    assert inline.pause_statuses == frozenset({"waiting_on_customer"})


# --- evaluate -----------------------------------------------------------------------------


def timers(policy: str, created: str, priority: str, events: list[dict], now: str, status="new"):
    result = evaluate(
        Policy.from_spec(FIXTURES["policies"][policy], CALENDARS),
        created_at=dt(created),
        priority=priority,
        status=status,
        events=[Event.from_spec(e) for e in events],
        now=dt(now),
    )
    return result[0], result[1], result[2:]


def test_threshold_instants_are_scheduled_like_due_at():
    fr, res, _ = timers("STD", "2025-06-10T09:00:00+02:00", "P3", [], "2025-06-10T09:30:00+02:00")
    assert fr.warning_at == dt("2025-06-10T12:00:00+02:00")
    assert fr.critical_at == dt("2025-06-10T12:36:00+02:00")
    assert fr.due_at == dt("2025-06-10T13:00:00+02:00")
    assert res.warning_at == dt("2025-06-12T11:00:00+02:00")  # 75 % of 1440 = 1080 min


def test_start_remeasure_charges_the_whole_history_on_the_new_calendar():
    events = [
        {"at": "2025-06-06T16:10:00+02:00", "type": "agent_reply"},
        {"at": "2025-06-07T10:00:00+02:00", "type": "priority", "to": "P1"},
    ]
    _, res, _ = timers(
        "MIX_P1_24x7_REMEASURE", "2025-06-06T16:00:00+02:00", "P3", events, "2025-06-07T11:00+02:00"
    )
    assert res.elapsed_business_minutes == 19 * 60  # Friday 16:00 to Saturday 11:00, 24x7
    assert res.due_at == dt("2025-06-06T20:00:00+02:00")
    assert res.breached and res.breach_at == dt("2025-06-07T10:00:00+02:00")  # at the change
    assert res.risk == "breached"


def test_an_upgrade_to_an_exceeded_target_breaches_at_the_change():
    events = [
        {"at": "2025-06-03T09:05:00+02:00", "type": "agent_reply"},
        {"at": "2025-06-03T14:00:00+02:00", "type": "priority", "to": "P1"},
    ]
    _, res, _ = timers("STD", "2025-06-03T09:00:00+02:00", "P3", events, "2025-06-03T14:00+02:00")
    assert res.breached and res.breach_at == dt("2025-06-03T14:00:00+02:00")
    assert res.due_at == dt("2025-06-03T13:00:00+02:00")  # when 240 min were reached


def test_anchor_change_keeps_an_earlier_breach():
    events = [{"at": "2025-06-03T10:30:00+02:00", "type": "priority", "to": "P3"}]
    fr, _, _ = timers(
        "STD_ANCHOR_CHANGE", "2025-06-03T09:00:00+02:00", "P1", events, "2025-06-03T11:00+02:00"
    )
    assert fr.started_at == dt("2025-06-03T10:30:00+02:00")
    assert fr.elapsed_business_minutes == 30
    assert fr.breached and fr.breach_at == dt("2025-06-03T10:00:00+02:00")


def test_reopen_resumes_the_same_resolution_clock_and_starts_a_cycle():
    events = [
        {"at": "2025-06-03T09:30:00+02:00", "type": "status", "to": "resolved"},
        {"at": "2025-06-04T09:00:00+02:00", "type": "customer_message"},
    ]
    fr, res, cycles = timers(
        "STD", "2025-06-03T09:00:00+02:00", "P2", events, "2025-06-04T10:00+02:00"
    )
    assert fr.state == "stopped" and fr.elapsed_business_minutes == 30
    assert res.state == "running" and res.elapsed_business_minutes == 90
    assert res.due_at == dt("2025-06-04T16:30:00+02:00")  # 390 min left from 10:00
    assert [c.started_at for c in cycles] == [dt("2025-06-04T09:00:00+02:00")]
    assert cycles[0].due_at == dt("2025-06-04T11:00:00+02:00")


def test_a_priority_change_while_resolved_leaves_the_stopped_result_alone():
    events = [
        {"at": "2025-06-03T10:00:00+02:00", "type": "status", "to": "resolved"},
        {"at": "2025-06-03T11:00:00+02:00", "type": "priority", "to": "P1"},
    ]
    _, res, _ = timers("STD", "2025-06-03T09:00:00+02:00", "P3", events, "2025-06-04T12:00+02:00")
    assert (res.priority, res.outcome, res.stopped_at) == (
        "P3",
        "met",
        dt("2025-06-03T10:00+02:00"),
    )
    reopened = [*events, {"at": "2025-06-03T12:00:00+02:00", "type": "status", "to": "open"}]
    _, res, _ = timers("STD", "2025-06-03T09:00:00+02:00", "P3", reopened, "2025-06-03T12:30+02:00")
    assert res.priority == "P1" and res.elapsed_business_minutes == 90
    assert res.due_at == dt("2025-06-03T15:00:00+02:00")


def test_pausing_exactly_at_the_deadline_is_a_breach_but_stopping_there_is_not():
    paused = [{"at": "2025-06-03T10:00:00+02:00", "type": "status", "to": "waiting_on_customer"}]
    args = ("STD_FR_PAUSES", "2025-06-03T09:00:00+02:00", "P1")
    fr, _, _ = timers(*args, paused, "2025-06-03T10:00:00+02:00")
    assert not fr.breached and fr.risk == "critical" and fr.state == "paused"
    fr, _, _ = timers(*args, paused, "2025-06-03T10:01:00+02:00")
    assert fr.breached and fr.breach_at == dt("2025-06-03T10:00:00+02:00")
    assert fr.due_at == dt("2025-06-03T10:00:00+02:00")  # reached, so not null although paused


def test_a_paused_timer_resolved_keeps_the_deadline_in_force():
    events = [
        {"at": "2025-06-03T09:10:00+02:00", "type": "agent_reply"},
        {"at": "2025-06-03T10:00:00+02:00", "type": "status", "to": "waiting_on_customer"},
        {"at": "2025-06-03T15:00:00+02:00", "type": "status", "to": "resolved"},
    ]
    _, res, _ = timers("STD", "2025-06-03T09:00:00+02:00", "P2", events, "2025-06-04T10:00+02:00")
    assert (res.state, res.outcome, res.elapsed_business_minutes) == ("stopped", "met", 60)
    assert res.due_at == dt("2025-06-04T14:00:00+02:00")  # add(15:00, 420 min)


def test_a_ticket_created_closed_starts_nothing():
    events = [{"at": "2025-06-03T10:00:00+02:00", "type": "customer_message"}]
    fr, res, cycles = timers(
        "STD", "2025-06-03T09:00:00+02:00", "P2", events, "2025-06-03T12:00+02:00", status="closed"
    )
    assert fr.state == res.state == "stopped" and fr.elapsed_seconds == res.elapsed_seconds == 0
    assert cycles == []


def test_events_after_now_have_not_happened_yet():
    events = [{"at": "2025-06-03T11:00:00+02:00", "type": "agent_reply"}]
    fr, _, _ = timers("STD", "2025-06-03T09:00:00+02:00", "P2", events, "2025-06-03T10:00+02:00")
    assert fr.state == "running" and fr.elapsed_business_minutes == 60


def test_messages_before_the_first_response_open_no_cycle_and_ties_follow_list_order():
    events = [
        {"at": "2025-06-03T09:10:00+02:00", "type": "customer_message"},
        {"at": "2025-06-03T09:30:00+02:00", "type": "agent_reply"},
        {"at": "2025-06-03T09:30:00+02:00", "type": "customer_message"},
    ]
    _, _, cycles = timers(
        "STD", "2025-06-03T09:00:00+02:00", "P2", events, "2025-06-03T10:00+02:00"
    )
    assert [c.started_at for c in cycles] == [dt("2025-06-03T09:30:00+02:00")]
    assert cycles[0].elapsed_business_minutes == 30


def test_a_policy_without_next_response_targets_reports_no_cycles():
    events = [
        {"at": "2025-06-03T09:30:00+02:00", "type": "agent_reply"},
        {"at": "2025-06-03T10:00:00+02:00", "type": "customer_message"},
    ]
    _, _, cycles = timers(
        "MIX_P1_24x7", "2025-06-03T09:00+02:00", "P3", events, "2025-06-03T11:00+02:00"
    )
    assert cycles == []


def test_an_unknown_priority_is_an_error():
    with pytest.raises(UnknownPriority):
        timers("MIX_P1_24x7", "2025-06-03T09:00:00+02:00", "P4", [], "2025-06-03T11:00:00+02:00")
    events = [{"at": "2025-06-03T09:30:00+02:00", "type": "priority", "to": "P2"}]
    with pytest.raises(UnknownPriority):
        timers("MIX_P1_24x7", "2025-06-03T09:00:00+02:00", "P1", events, "2025-06-03T11:00+02:00")


def test_evaluate_is_a_pure_function_of_its_inputs():
    policy = Policy.from_spec(STD, CALENDARS)
    events = [Event(dt("2025-06-03T09:30:00+02:00"), "agent_reply")]
    kwargs = {"created_at": dt("2025-06-03T09:00:00+02:00"), "priority": "P2", "status": "new"}
    first = evaluate(policy, events=events, now=dt("2025-06-03T12:00:00+02:00"), **kwargs)
    again = evaluate(policy, events=tuple(events), now=dt("2025-06-03T10:00:00Z"), **kwargs)
    assert first == again  # the same instant written in another zone
