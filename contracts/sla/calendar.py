"""Business calendars: errors, zone-offset pieces, Calendar, and add/between/membership."""

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
