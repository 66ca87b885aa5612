"""Pure SLA core: business-time arithmetic and SLA timer evaluation (shared/sla/SPEC.md).

Stdlib only, no Django and no ORM: aware datetimes and plain data in, aware datetimes and plain
data out. All arithmetic runs on integer epoch seconds (SPEC D10: Python does wall-clock
arithmetic on datetimes sharing a ZoneInfo), so sub-second input is truncated (SPEC 2.1.4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HORIZON_DAYS = 731
# SPEC 2.2.7: the normative profile; a window bound in a DST gap starts at the transition and a
# window inside a fall-back overlap counts both passes.
DST_PROFILE = "MEMBERSHIP"

DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")
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


class SLAError(Exception):
    """Base class of every error the SLA core raises on bad configuration or an endless search."""


class InvalidCalendar(SLAError):
    """The calendar is malformed: bad zone, bad times, start == end, overlapping windows..."""


class CalendarHasNoBusinessHours(InvalidCalendar):
    """The weekly template totals zero minutes (SPEC 2.2.4)."""


class BusinessTimeSearchExhausted(SLAError):
    """Not enough business time within HORIZON_DAYS local days of the search start."""


class InvalidPolicy(SLAError):
    """The policy is malformed: non-positive targets, bad thresholds, unknown anchor..."""


class UnknownPriority(SLAError):
    """A ticket uses a priority for which the policy defines no targets."""


# --- Calendar ------------------------------------------------------------------------------


class Holiday(NamedTuple):
    """One holiday row: a dated day, an inclusive range or a recurring MM-DD, maybe partial."""

    start: date | None = None  # dated holiday, or first day of a range
    end: date | None = None  # last day of the range (== start for a single date)
    recurring: tuple[int, int] | None = None  # (month, day), every year; (2, 29) in leap years
    closed: tuple[int, int] | None = None  # partial closure [from, to) in local seconds
    name: str = ""

    def matches(self, day: date) -> bool:
        """Whether this row applies to the civil date `day`."""
        if self.recurring is not None:
            return (day.month, day.day) == self.recurring
        return self.start <= day <= self.end  # type: ignore[operator]


@dataclass(frozen=True)
class Calendar:
    """A business calendar: IANA zone, weekly windows (seconds, Mon..Sun) and holidays."""

    tz: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: tuple[Holiday, ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.tz)
        weekly = _normalise_weekly(self.weekly)
        holidays = tuple(_check_holiday(h) for h in self.holidays)
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_zone", zone)
        # Calendars key the per-date caches: hash once, not on every lookup.
        object.__setattr__(self, "_hash", hash((self.tz, weekly, holidays)))
        if not any(weekly):
            raise CalendarHasNoBusinessHours("the weekly template has no business hours")

    def __hash__(self) -> int:
        return self._hash

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return self._zone

    @property
    def weekly_seconds(self) -> int:
        """Business seconds in the weekly template (ignoring holidays and DST)."""
        return sum(e - s for day in self.weekly for s, e in day)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Calendar:
        """Build and validate a calendar from the SPEC/vector format."""
        if not isinstance(spec, Mapping):
            raise InvalidCalendar("a calendar spec must be a mapping")
        _no_extra_keys(spec, {"tz", "weekly", "holidays"}, InvalidCalendar)
        weekly_spec = spec.get("weekly") or {}
        if not isinstance(weekly_spec, Mapping):
            raise InvalidCalendar("weekly must map mon..sun to windows")
        _no_extra_keys(weekly_spec, set(_WEEKDAYS), InvalidCalendar)
        weekly = tuple(
            tuple(tuple(map(_parse_time, _pair(w))) for w in _rows(weekly_spec.get(name)))
            for name in _WEEKDAYS
        )
        holidays = tuple(_parse_holiday(h) for h in _rows(spec.get("holidays")))
        return cls(spec.get("tz"), weekly, holidays)  # type: ignore[arg-type]

    def to_spec(self) -> dict[str, Any]:
        """The SPEC format of this calendar (normalised: overnight windows appear split)."""
        weekly = {
            name: [[_fmt_time(s), _fmt_time(e)] for s, e in self.weekly[i]]
            for i, name in enumerate(_WEEKDAYS)
            if self.weekly[i]
        }
        spec: dict[str, Any] = {"tz": self.tz, "weekly": weekly}
        if self.holidays:
            spec["holidays"] = [_holiday_spec(h) for h in self.holidays]
        return spec


def _rows(value: object) -> list[Any] | tuple[Any, ...]:
    if not isinstance(value, list | tuple | None):
        raise InvalidCalendar(f"expected a list, got {value!r}")
    return value or ()


def _pair(window: object) -> tuple[Any, Any]:
    if not isinstance(window, list | tuple) or len(window) != 2:
        raise InvalidCalendar(f"a window or closure is [start, end], got {window!r}")
    return window[0], window[1]


def _no_extra_keys(spec: Mapping[str, Any], allowed: set[str], error: type[SLAError]) -> None:
    extra = set(spec) - allowed
    if extra:
        raise error(f"unknown keys: {sorted(extra)}")


def _load_zone(tz: object) -> ZoneInfo:
    if not isinstance(tz, str) or not tz:
        raise InvalidCalendar("tz must be an IANA zone name")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidCalendar(f"unknown time zone {tz!r}") from exc


def _parse_time(value: object) -> int:
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise InvalidCalendar(f"bad time {value!r}, expected HH:MM")
    h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s)):
        raise InvalidCalendar(f"bad time {value!r}")
    return h * 3600 + m * 60 + s


def _fmt_time(sec: int) -> str:
    h, rest = divmod(sec, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _bounds(window: object) -> tuple[int, int]:
    """Local seconds [start, end): start in [0, 24h), end in (0, 24h], start != end."""
    start, end = _pair(window)
    if not (type(start) is type(end) is int and 0 <= start < DAY and 0 < end <= DAY) or (
        start == end
    ):
        raise InvalidCalendar(f"bad window or closure [{start!r}, {end!r})")
    return start, end


def _normalise_weekly(weekly: object) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Split overnight windows at midnight, sort, reject overlaps, merge touching windows."""
    if not isinstance(weekly, Sequence) or len(weekly) != 7:
        raise InvalidCalendar("weekly must have 7 entries, Monday first")
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for i, windows in enumerate(weekly):
        for window in _rows(windows):
            start, end = _bounds(window)
            if start < end:
                days[i].append((start, end))
            else:  # overnight: the tail belongs to the next weekday (Sunday wraps to Monday)
                days[i].append((start, DAY))
                days[(i + 1) % 7].append((0, end))
    result = []
    for i, windows in enumerate(days):
        merged: list[tuple[int, int]] = []
        for start, end in sorted(windows):
            if merged and start < merged[-1][1]:
                raise InvalidCalendar(f"overlapping windows on {_WEEKDAYS[i]}")
            if merged and start == merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        result.append(tuple(merged))
    return tuple(result)


def _check_holiday(h: object) -> Holiday:
    if not isinstance(h, Holiday):
        raise InvalidCalendar("holidays must be Holiday rows")
    if h.closed is not None and _bounds(h.closed)[1] < h.closed[0]:
        raise InvalidCalendar("a closure cannot run past midnight")
    if h.recurring is not None:
        if h.start is not None or h.end is not None:
            raise InvalidCalendar("a recurring holiday has no dates")
        try:
            date(2000, *h.recurring)  # a leap year, so that 02-29 is accepted
        except (TypeError, ValueError) as exc:
            raise InvalidCalendar(f"bad recurring day {h.recurring!r}") from exc
        return h
    if not isinstance(h.start, date) or not isinstance(h.end, date) or h.end < h.start:
        raise InvalidCalendar("a dated holiday needs start <= end")
    if h.closed is not None and h.start != h.end:
        raise InvalidCalendar("a partial closure applies to one date or one recurring day")
    return h


def _parse_date(value: object) -> date:
    try:
        return date.fromisoformat(value if len(value) == 10 else "")  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidCalendar(f"bad date {value!r}, expected YYYY-MM-DD") from exc


def _parse_holiday(spec: object) -> Holiday:
    if not isinstance(spec, Mapping):
        raise InvalidCalendar("a holiday must be a mapping")
    keys = set(spec) - {"name"}
    closed = None
    if keys & {"closed_from", "closed_to"}:
        if not {"closed_from", "closed_to"} <= keys:
            raise InvalidCalendar("a closure needs closed_from and closed_to")
        closed = (_parse_time(spec["closed_from"]), _parse_time(spec["closed_to"]))
        _bounds(closed)
        keys -= {"closed_from", "closed_to"}
    name = spec.get("name", "")
    if not isinstance(name, str):
        raise InvalidCalendar("a holiday name must be a string")
    if keys == {"date"}:
        day = _parse_date(spec["date"])
        return Holiday(start=day, end=day, closed=closed, name=name)
    if keys == {"recurring"}:
        match = re.fullmatch(r"(\d{2})-(\d{2})", str(spec["recurring"]))
        if not match:
            raise InvalidCalendar(f"bad recurring day {spec['recurring']!r}, expected MM-DD")
        return Holiday(recurring=(int(match[1]), int(match[2])), closed=closed, name=name)
    if keys == {"from_date", "to_date"} and closed is None:
        return Holiday(_parse_date(spec["from_date"]), _parse_date(spec["to_date"]), name=name)
    raise InvalidCalendar(f"unrecognised holiday {dict(spec)!r}")


def _holiday_spec(h: Holiday) -> dict[str, str]:
    if h.recurring is not None:
        spec = {"recurring": f"{h.recurring[0]:02d}-{h.recurring[1]:02d}"}
    elif h.start == h.end:
        spec = {"date": h.start.isoformat()}  # type: ignore[union-attr]
    else:
        spec = {"from_date": h.start.isoformat(), "to_date": h.end.isoformat()}  # type: ignore[union-attr]
    if h.closed is not None:
        spec["closed_from"], spec["closed_to"] = map(_fmt_time, h.closed)
    if h.name:
        spec["name"] = h.name
    return spec


# --- Business time on epoch seconds --------------------------------------------------------


def _ts(value: datetime) -> int:
    """Epoch seconds of an aware datetime, sub-seconds truncated (SPEC 2.1.4)."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"an aware datetime is required, got {value!r}")
    return int(value.replace(microsecond=0).timestamp())


def _offset(zone: ZoneInfo, ts: int) -> int:
    delta = datetime.fromtimestamp(ts, zone).utcoffset()
    return delta.days * DAY + delta.seconds  # type: ignore[union-attr]


@lru_cache(maxsize=16_384)
def _offset_pieces(tz: str, k: int) -> tuple[tuple[int, int, int], ...]:
    """Constant-offset pieces (start, end, offset) covering UTC day k.

    zoneinfo does not expose transitions, so probe hourly and bisect to the second where the
    offset changes (SPEC 2.3). Cached per zone and day, shared by every calendar in that zone.
    """
    zone = ZoneInfo(tz)
    lo = k * DAY
    pieces = []
    start = a = lo
    off_a = _offset(zone, a)
    for hour in range(1, 25):
        b = min(lo + hour * 3600, lo + DAY - 1)
        off_b = _offset(zone, b)
        while off_b != off_a:
            left, right = a, b
            while right - left > 1:
                mid = (left + right) // 2
                if _offset(zone, mid) == off_a:
                    left = mid
                else:
                    right = mid
            pieces.append((start, right, off_a))
            start = a = right
            off_a = _offset(zone, right)
        a = b
    pieces.append((start, lo + DAY, off_a))
    return tuple(pieces)


@lru_cache(maxsize=32_768)
def _windows(cal: Calendar, d: int) -> tuple[tuple[int, int], ...]:
    """Effective windows (local seconds) of local date d (days since 1970-01-01)."""
    day = date.fromordinal(d + _EPOCH_ORDINAL)
    windows = cal.weekly[day.weekday()]
    if not windows:
        return ()
    closures = []
    for holiday in cal.holidays:
        if holiday.matches(day):
            if holiday.closed is None:
                return ()
            closures.append(holiday.closed)
    for c_from, c_to in closures:
        windows = tuple(
            piece
            for s, e in windows
            for piece in ((s, min(e, c_from)), (max(s, c_to), e))
            if piece[0] < piece[1]
        )
    return windows


@lru_cache(maxsize=32_768)
def _chunk(cal: Calendar, k: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """Business intervals inside UTC day k, sorted and merged, with their total length.

    Chunking by UTC day (not local date) keeps intervals in instant order even where a
    fall-back crosses midnight and two local dates interleave.
    """
    found = []
    for p, q, off in _offset_pieces(cal.tz, k):
        for d in range((p + off) // DAY, (q - 1 + off) // DAY + 1):
            base = d * DAY - off  # the instant whose wall clock reads local midnight of d
            for s, e in _windows(cal, d):
                x, y = max(p, base + s), min(q, base + e)
                if x < y:
                    found.append((x, y))
    found.sort()
    merged: list[tuple[int, int]] = []
    for x, y in found:
        if merged and x <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(y, merged[-1][1]))
        else:
            merged.append((x, y))
    return tuple(merged), sum(y - x for x, y in merged)


def _horizon(cal: Calendar, t: int) -> int:
    """The first instant of the local date HORIZON_DAYS + 1 days after t's local date."""
    last = datetime.fromtimestamp(t, cal.zone).date() + timedelta(days=HORIZON_DAYS + 1)
    return int(datetime.combine(last, time(), tzinfo=cal.zone).timestamp())


def _between(cal: Calendar, a: int, b: int) -> int:
    if b <= a:
        return 0
    total = 0
    for k in range(a // DAY, (b - 1) // DAY + 1):
        intervals, whole = _chunk(cal, k)
        if a <= k * DAY and (k + 1) * DAY <= b:
            total += whole
            continue
        for x, y in intervals:
            x, y = max(x, a), min(y, b)
            if x < y:
                total += y - x
    return total


def _add(cal: Calendar, t: int, rem: int, limit: int) -> int:
    """Earliest u >= t with B(t, u) >= rem > 0, looking at business time before `limit`."""
    k = t // DAY
    while k * DAY < limit:
        intervals, whole = _chunk(cal, k)
        if t <= k * DAY and (k + 1) * DAY <= limit and whole < rem:
            rem -= whole
        else:
            for x, y in intervals:
                x, y = max(x, t), min(y, limit)
                if x < y:
                    if rem <= y - x:
                        return x + rem
                    rem -= y - x
        k += 1
    raise BusinessTimeSearchExhausted(f"no room for the target within {HORIZON_DAYS} days")


def _dt(cal: Calendar, ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, cal.zone)


def add_seconds(cal: Calendar, start: datetime, seconds: int) -> datetime:
    """Earliest instant at which `seconds` business seconds have accrued since `start`."""
    if type(seconds) is not int or seconds < 0:
        raise ValueError(f"seconds must be a non-negative int, got {seconds!r}")
    t = _ts(start)
    if seconds == 0:  # SPEC 2.3: the identity, no roll-forward to the next window
        return start.astimezone(cal.zone)
    return _dt(cal, _add(cal, t, seconds, _horizon(cal, t)))  # type: ignore[return-value]


def add_minutes(cal: Calendar, start: datetime, minutes: int) -> datetime:
    """Earliest instant at which `minutes` business minutes have accrued since `start`."""
    if type(minutes) is not int or minutes < 0:
        raise ValueError(f"minutes must be a non-negative int, got {minutes!r}")
    return add_seconds(cal, start, minutes * 60)


def business_seconds_between(cal: Calendar, a: datetime, b: datetime) -> int:
    """Business seconds in [a, b); 0 when b <= a."""
    return _between(cal, _ts(a), _ts(b))


def is_business(cal: Calendar, t: datetime) -> bool:
    """Membership (SPEC 2.2.7): t's local wall time lies in an effective window of its date."""
    local = datetime.fromtimestamp(_ts(t), cal.zone)
    sec = local.hour * 3600 + local.minute * 60 + local.second
    d = local.toordinal() - _EPOCH_ORDINAL
    return any(s <= sec < e for s, e in _windows(cal, d))


def next_business_instant(cal: Calendar, t: datetime) -> datetime:
    """The earliest business instant at or after t."""
    start = _ts(t)
    limit = _horizon(cal, start)
    k = start // DAY
    while k * DAY < limit:
        for x, y in _chunk(cal, k)[0]:
            if y > start:
                u = max(x, start)
                if u >= limit:
                    break
                return t.astimezone(cal.zone) if u == start else _dt(cal, u)  # type: ignore[return-value]
        k += 1
    raise BusinessTimeSearchExhausted(f"no business time within {HORIZON_DAYS} days")


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


# --- Conformance entry point (shared/sla/vectors.json) -------------------------------------


def _calendar_ref(ref: object, fixtures: Mapping[str, Any]) -> Mapping[str, Any]:
    return fixtures["calendars"][ref] if isinstance(ref, str) else ref  # type: ignore[return-value]


def run_vector(vector: Mapping[str, Any], fixtures: Mapping[str, Any]) -> dict[str, Any]:
    """Run one calendar or ticket vector as written in vectors.json and return its outcome."""
    if "checkpoints" in vector:
        ref = vector["policy"]
        spec = fixtures["policies"][ref] if isinstance(ref, str) else ref
        policy = Policy.from_spec(spec, fixtures.get("calendars", {}))
        ticket = vector["ticket"]
        ticket_args = {
            "created_at": datetime.fromisoformat(ticket["created_at"]),
            "priority": ticket["priority"],
            "status": ticket.get("status", "new"),
            "events": [Event.from_spec(e) for e in ticket.get("events", [])],
        }
        checkpoints = []
        for checkpoint in vector["checkpoints"]:
            now = datetime.fromisoformat(checkpoint["now"])
            fr, res, *cycles = (t.to_dict() for t in evaluate(policy, now=now, **ticket_args))
            checkpoints.append(
                {"first_response": fr, "resolution": res, "next_response_cycles": cycles}
            )
        return {"checkpoints": checkpoints}
    try:
        cal = Calendar.from_spec(_calendar_ref(vector["calendar"], fixtures))
        op = vector["op"]
        if op == "validate":
            return {"result": "valid"}
        start = datetime.fromisoformat(vector["start"])
        if op == "add":
            return {"result": add_minutes(cal, start, vector["minutes"]).isoformat()}
        if op == "add_seconds":
            return {"result": add_seconds(cal, start, vector["seconds"]).isoformat()}
        if op == "between":
            end = datetime.fromisoformat(vector["end"])
            return {"result": _ratio(business_seconds_between(cal, start, end), 60)}
        raise ValueError(f"unknown op {op!r}")
    except SLAError as exc:
        return {"error": type(exc).__name__}
