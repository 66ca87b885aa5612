"""SLA timers: Target, Policy, Event, TimerResult and evaluate (one ticket's timers at now)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .calendar import (
    Calendar,
    InvalidPolicy,
    UnknownPriority,
    _add,
    _between,
    _dt,
    _horizon,
    _no_extra_keys,
    _ts,
)

_TERMINAL = frozenset({"resolved", "closed"})
_ANCHORS = ("start_carry", "start_remeasure", "change")
_EVENT_TYPES = frozenset({"status", "priority", "agent_reply", "customer_message", "internal_note"})
# The fields SPEC 2.6 reports, in TimerResult.to_dict order.
_REPORTED = (
    "kind", "cycle", "priority", "target_minutes", "state", "started_at",
    "elapsed_business_seconds", "elapsed_business_minutes", "percent",
    "remaining_business_minutes", "due_at", "warning_at", "critical_at", "breached", "breach_at",
    "risk", "outcome", "stopped_at",
)  # fmt: skip


# --- Policy and ticket events --------------------------------------------------------------


def _positive_int(value: object) -> bool:
    return type(value) is int and value > 0


@dataclass(frozen=True)
class Target:
    """Targets of one priority, in business minutes, and the calendar they are measured on."""

    first_response: int
    resolution: int
    next_response: int | None
    calendar: Calendar

    def __post_init__(self) -> None:
        minutes = (self.first_response, self.resolution)
        if not all(map(_positive_int, minutes)) or not (
            self.next_response is None or _positive_int(self.next_response)
        ):
            raise InvalidPolicy("every target must be a positive integer number of minutes")
        if not isinstance(self.calendar, Calendar):
            raise InvalidPolicy("a target needs a Calendar")


@dataclass(frozen=True)
class Policy:
    """An SLA policy snapshot: targets per priority, pause statuses, anchor and thresholds."""

    targets: dict[str, Target]
    pause_statuses: frozenset[str]
    first_response_pauses: bool = False
    priority_change_anchor: str = "start_carry"
    warning: int = 75
    critical: int = 90

    def __post_init__(self) -> None:
        object.__setattr__(self, "pause_statuses", frozenset(self.pause_statuses))
        if not self.targets or not all(isinstance(t, Target) for t in self.targets.values()):
            raise InvalidPolicy("a policy needs targets for at least one priority")
        if self.pause_statuses & _TERMINAL:
            raise InvalidPolicy("resolved and closed cannot be pause statuses")
        if self.priority_change_anchor not in _ANCHORS:
            raise InvalidPolicy(f"unknown anchor {self.priority_change_anchor!r}")
        levels = (self.warning, self.critical)
        if not all(type(v) is int for v in levels) or not 0 < self.warning <= self.critical < 100:
            raise InvalidPolicy("thresholds must satisfy 0 < warning <= critical < 100")

    @classmethod
    def from_spec(
        cls, spec: Mapping[str, Any], calendars: Mapping[str, Mapping[str, Any]] | None = None
    ) -> Policy:
        """Build a policy from the vector format; a calendar is a name in `calendars` or inline."""
        calendars = calendars or {}
        built: dict[str, Calendar] = {}

        def calendar(ref: object) -> Calendar:
            if isinstance(ref, str):
                if ref not in calendars:
                    raise InvalidPolicy(f"unknown calendar {ref!r}")
                if ref not in built:  # one object per name keeps the caches hitting by identity
                    built[ref] = Calendar.from_spec(calendars[ref])
                return built[ref]
            if isinstance(ref, Mapping):
                return Calendar.from_spec(ref)
            raise InvalidPolicy("a policy needs a calendar")

        allowed = {"calendar", "targets", "pause_statuses", "first_response_pauses"}
        allowed |= {"priority_change_anchor", "reopen", "thresholds"}
        _no_extra_keys(spec, allowed, InvalidPolicy)
        if spec.get("reopen", "resume") != "resume":  # "new_cycle" is reserved by SPEC 2.4
            raise InvalidPolicy(f"unsupported reopen mode {spec['reopen']!r}")
        default = spec.get("calendar")
        targets = {}
        for priority, t in (spec.get("targets") or {}).items():
            _no_extra_keys(
                t, {"first_response", "resolution", "next_response", "calendar"}, InvalidPolicy
            )
            targets[priority] = Target(
                first_response=t.get("first_response"),
                resolution=t.get("resolution"),
                next_response=t.get("next_response"),
                calendar=calendar(t.get("calendar", default)),
            )
        thresholds = spec.get("thresholds") or {}
        return cls(
            targets=targets,
            pause_statuses=frozenset(spec.get("pause_statuses", ["waiting_on_customer"])),
            first_response_pauses=bool(spec.get("first_response_pauses", False)),
            priority_change_anchor=spec.get("priority_change_anchor", "start_carry"),
            warning=thresholds.get("warning", 75),
            critical=thresholds.get("critical", 90),
        )


@dataclass(frozen=True)
class Event:
    """One ticket event (SPEC 2.5)."""

    at: datetime
    type: str
    to: str | None = None  # the new status or priority
    public: bool = True
    automated: bool = False

    def __post_init__(self) -> None:
        if self.type not in _EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")
        if self.type in ("status", "priority") and not self.to:
            raise ValueError(f"a {self.type} event needs 'to'")

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Event:
        """Build an event from the vector format (ISO instant with offset)."""
        return cls(
            at=datetime.fromisoformat(spec["at"]),
            type=spec["type"],
            to=spec.get("to"),
            public=spec.get("public", True),
            automated=spec.get("automated", False),
        )


# --- Timers --------------------------------------------------------------------------------


def _ratio(num: int, den: int) -> int | float:
    """num/den, as an int when exact so that whole minutes render as 90, not 90.0."""
    return num // den if num % den == 0 else num / den


@dataclass(frozen=True)
class TimerResult:
    """The state of one SLA timer at `now` (SPEC 2.6); instants are in the calendar's zone."""

    kind: str
    cycle: int
    priority: str
    target_minutes: int
    state: str
    started_at: datetime
    elapsed_seconds: int
    due_at: datetime | None
    warning_at: datetime | None
    critical_at: datetime | None
    breached: bool
    breach_at: datetime | None
    risk: str
    outcome: str | None
    stopped_at: datetime | None

    @property
    def target_seconds(self) -> int:
        """The target in seconds."""
        return self.target_minutes * 60

    @property
    def elapsed_business_minutes(self) -> int | float:
        """Elapsed business time in minutes, fractional only when seconds are involved."""
        return _ratio(self.elapsed_seconds, 60)

    @property
    def percent(self) -> int | float:
        """Elapsed business time as a percentage of the target (may exceed 100)."""
        return _ratio(self.elapsed_seconds * 100, self.target_seconds)

    @property
    def remaining_business_minutes(self) -> int | float:
        """max(0, T - E) in minutes."""
        return _ratio(max(0, self.target_seconds - self.elapsed_seconds), 60)

    @property
    def elapsed_business_seconds(self) -> int:
        """Elapsed business time in seconds (the name the vectors use)."""
        return self.elapsed_seconds

    def to_dict(self) -> dict[str, Any]:
        """Every reported field, instants as ISO strings with the calendar's offset."""
        values = {name: getattr(self, name) for name in _REPORTED}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


class _Timer:
    """One timer's accrual as a list of running segments [start, end or None, calendar].

    A "period" is a stretch with one target and one way of measuring; breaches are found when a
    period opens (target already exceeded: breach at the opening) or closes (target reached
    strictly inside it: breach at that instant), per SPEC 2.6 and §3.
    """

    def __init__(self, kind: str, cycle: int, policy: Policy, priority: str, t: int, run: bool):
        self.kind, self.cycle, self.policy = kind, cycle, policy
        self.priority, self.target, self.cal = priority, self._target(priority), self._cal(priority)
        self.started, self.stopped, self.breach = t, None, None
        self.segs: list[list[Any]] = [[t, None, self.cal]] if run else []

    def _target(self, priority: str) -> int | None:
        minutes = getattr(self.policy.targets[priority], self.kind)
        return None if minutes is None else minutes * 60

    def _cal(self, priority: str) -> Calendar:
        return self.policy.targets[priority].calendar

    def running(self) -> bool:
        return bool(self.segs) and self.segs[-1][1] is None

    def _close(self, t: int) -> None:
        seg = self.segs[-1]
        seg[1] = t
        if seg[0] == t:  # zero-length states contribute nothing
            self.segs.pop()

    def _measured_on(self, seg: list[Any]) -> Calendar:
        # start_remeasure re-measures the whole history on the calendar in force now.
        remeasure = self.policy.priority_change_anchor == "start_remeasure"
        return self.cal if remeasure else seg[2]

    def elapsed(self, now: int) -> int:
        return sum(
            _between(self._measured_on(seg), seg[0], now if seg[1] is None else seg[1])
            for seg in self.segs
        )

    def reach(self, target: int, now: int) -> int | None:
        """Earliest u with E(u) >= target; the open segment is projected past `now`."""
        done = 0
        for seg in self.segs:
            cal, start, end = self._measured_on(seg), seg[0], seg[1]
            if end is None:  # project from now, so that the horizon counts from now
                part = _between(cal, start, now)
                if done + part >= target:
                    return _add(cal, start, target - done, now)
                return _add(cal, now, target - done - part, _horizon(cal, now))
            part = _between(cal, start, end)
            if done + part >= target:
                return _add(cal, start, target - done, end)
            done += part
        return None

    def _close_period(self, t: int) -> None:
        if self.breach is None:
            r = self.reach(self.target, t)
            if r is not None and r < t:
                self.breach = r

    def _open_period(self, t: int) -> None:
        if self.breach is None:
            r = self.reach(self.target, t)
            if r is not None and r < t:  # the target in force was already exceeded
                self.breach = t

    def set_running(self, t: int, run: bool) -> None:
        if self.stopped is None and run != self.running():
            if run:
                self.segs.append([t, None, self.cal])
            else:
                self._close(t)

    def _retarget(self, t: int, priority: str) -> None:
        target = self._target(priority)
        if priority == self.priority or target is None:
            return  # a priority without a next-response target keeps the cycle's target
        run = self.running()
        if run:
            self._close(t)
        self.priority, self.target, self.cal = priority, target, self._cal(priority)
        if self.policy.priority_change_anchor == "change":
            self.segs, self.started = [], t
        if run:
            self.segs.append([t, None, self.cal])

    def set_priority(self, t: int, priority: str) -> None:
        if self.stopped is None and priority != self.priority:
            self._close_period(t)
            self._retarget(t, priority)
            self._open_period(t)

    def stop(self, t: int) -> None:
        if self.stopped is None:
            self._close_period(t)
            if self.running():
                self._close(t)
            self.stopped = t

    def resume(self, t: int, priority: str, run: bool) -> None:
        """Reopen: resume the same clock; a priority changed meanwhile applies from now on."""
        if self.stopped is not None:
            self.stopped = None
            self._retarget(t, priority)
            self.set_running(t, run)
            self._open_period(t)

    def result(self, now: int) -> TimerResult:
        if self.stopped is None:
            self._close_period(now)
        elapsed, target, cal = self.elapsed(now), self.target, self.cal
        policy = self.policy

        def instant(seconds: int) -> datetime | None:
            r = self.reach(seconds, now)
            if r is None and self.stopped is not None:  # the deadline in force at the stop
                r = _add(cal, self.stopped, seconds - elapsed, _horizon(cal, self.stopped))
            return _dt(cal, r)

        if self.stopped is not None:
            state, risk = "stopped", "n/a"
        else:
            state = "running" if self.running() else "paused"
            if self.breach is not None:
                risk = "breached"
            elif elapsed * 100 >= policy.critical * target:
                risk = "critical"
            elif elapsed * 100 >= policy.warning * target:
                risk = "warning"
            else:
                risk = "ok"
        return TimerResult(
            kind=self.kind,
            cycle=self.cycle,
            priority=self.priority,
            target_minutes=target // 60,
            state=state,
            started_at=_dt(cal, self.started),  # type: ignore[arg-type]
            elapsed_seconds=elapsed,
            due_at=instant(target),
            warning_at=instant(-(-target * policy.warning // 100)),
            critical_at=instant(-(-target * policy.critical // 100)),
            breached=self.breach is not None,
            breach_at=_dt(cal, self.breach),
            risk=risk,
            outcome=None if self.stopped is None else ("breached" if self.breach else "met"),
            stopped_at=_dt(cal, self.stopped),
        )


def evaluate(
    policy: Policy,
    *,
    created_at: datetime,
    priority: str,
    status: str,
    events: Sequence[Event],
    now: datetime,
) -> list[TimerResult]:
    """Timers of one ticket at `now`: first response, resolution, then one per NR cycle.

    A pure function of (policy snapshot, event log, now). Events later than `now` have not
    happened yet; events stamped before `created_at` (clock skew) apply at creation.
    """
    created, at_now = _ts(created_at), _ts(now)
    at_now = max(at_now, created)
    if priority not in policy.targets:
        raise UnknownPriority(priority)
    ordered = sorted((max(_ts(e.at), created), i, e) for i, e in enumerate(events))
    pauses = policy.pause_statuses

    def res_runs(st: str) -> bool:
        return st not in _TERMINAL and st not in pauses

    def fr_runs(st: str) -> bool:
        return not (policy.first_response_pauses and st in pauses)

    fr = _Timer("first_response", 0, policy, priority, created, fr_runs(status))
    res = _Timer("resolution", 0, policy, priority, created, res_runs(status))
    cycles: list[_Timer] = []
    waiting: _Timer | None = None  # the NR cycle of the oldest unanswered customer message
    if status in _TERMINAL:
        fr.stop(created)
        res.stop(created)

    def set_status(t: int, to: str) -> None:
        nonlocal status, waiting
        before, status = status, to
        if to == before:
            return
        if to in _TERMINAL:
            fr.stop(t)
            res.stop(t)  # a no-op from resolved to closed: stopped_at is the first entry
            if waiting is not None:
                waiting.stop(t)
                waiting = None
            return
        if before in _TERMINAL:
            res.resume(t, current, res_runs(to))
        else:
            res.set_running(t, res_runs(to))
        fr.set_running(t, fr_runs(to))

    current = priority
    for t, _, event in ordered:
        if t > at_now or status == "closed":  # closed is terminal (SPEC 2.5)
            break
        if event.type == "status":
            set_status(t, event.to)  # type: ignore[arg-type]
        elif event.type == "priority":
            if event.to not in policy.targets:
                raise UnknownPriority(event.to)
            current = event.to
            for timer in (fr, res, waiting):
                if timer is not None:
                    timer.set_priority(t, current)
        elif event.type == "agent_reply" and event.public and not event.automated:
            fr.stop(t)
            if waiting is not None:
                waiting.stop(t)
                waiting = None
        elif event.type == "customer_message":
            if status in ("waiting_on_customer", "resolved"):
                set_status(t, "open")
            # Cycles start once the first-response timer is over (answered or resolved).
            nr_target = policy.targets[current].next_response
            if fr.stopped is not None and waiting is None and nr_target is not None:
                waiting = _Timer("next_response", len(cycles), policy, current, t, True)
                cycles.append(waiting)
    return [timer.result(at_now) for timer in (fr, res, *cycles)]
