"""Server-side line charts: points in, coordinates and locale-formatted labels out.

Python computes where everything goes; ``templates/core/_line_chart.html`` draws it as inline
SVG (no CDN, no JavaScript) and lists the same figures in a table for those who cannot see the
chart. Labels are formatted when the chart is built, so build it inside the request, where the
user's language and time zone are active.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils import formats, timezone

#: Candidate spacings of the time axis, smallest first.
_TIME_STEPS = [
    dt.timedelta(minutes=m) for m in (5, 10, 15, 30)
] + [dt.timedelta(hours=h) for h in (1, 2, 3, 4, 6, 12)] + [
    dt.timedelta(days=d) for d in (1, 2, 5, 7, 14)
]  # fmt: skip


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Row:
    """One figure of the table that accompanies the chart."""

    at: dt.datetime
    label: str
    value: str


@dataclass
class LineChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    unit: str
    #: One "x,y x,y ..." string per unbroken run of points (a gap breaks the line).
    lines: list[str] = field(default_factory=list)
    #: The matching closed shapes down to the axis, for the shaded area.
    areas: list[str] = field(default_factory=list)
    #: Lone points (a run of one), drawn as dots.
    dots: list[tuple[float, float]] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    minimum: str = ""
    maximum: str = ""
    average: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top

    # Where the axis labels go, so the template does no arithmetic.
    @property
    def y_label_x(self) -> float:
        return self.left - 6

    @property
    def x_tick_end(self) -> float:
        return self.bottom + 4

    @property
    def x_label_y(self) -> float:
        return self.bottom + 18


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``count`` intervals."""
    if span <= 0 or count <= 0:
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def format_number(value: float, *, decimals: int = 0) -> str:
    return formats.number_format(round(value, decimals), decimals, force_grouping=True)


def _format_tick_time(at: dt.datetime, step: dt.timedelta) -> str:
    local = timezone.localtime(at)
    if step < dt.timedelta(days=1):
        return formats.time_format(local, "TIME_FORMAT")
    return formats.date_format(local, "MONTH_DAY_FORMAT")


def _format_row_time(at: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


def time_ticks(start: dt.datetime, end: dt.datetime, *, count: int = 8) -> list[dt.datetime]:
    """Round local times between start and end: whole hours, local midnights..."""
    span = end - start
    step = next((s for s in _TIME_STEPS if span / s <= count), _TIME_STEPS[-1])
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz).replace(tzinfo=None)
    if step >= dt.timedelta(days=1):
        first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        minutes = int(step.total_seconds() // 60)
        since_midnight = local.hour * 60 + local.minute
        first = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
            minutes=since_midnight - since_midnight % minutes
        )
    ticks = []
    naive = first
    while len(ticks) <= count + 2:
        at = timezone.make_aware(naive, tz) if not _skipped(naive, tz) else None
        if at is not None:
            if at > end:
                break
            if at >= start:
                ticks.append(at)
        naive += step
    return ticks


def _skipped(naive: dt.datetime, tz) -> bool:
    """A local time that does not exist (the hour skipped when clocks go forward)."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None) != naive


def _bucket(
    points: Sequence[tuple[dt.datetime, float | None]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    max_points: int,
) -> list[tuple[dt.datetime, float | None]]:
    """At most ``max_points`` points: the average of each equal slice of time."""
    if len(points) <= max_points:
        return list(points)
    width = (end - start) / max_points
    sums: dict[int, list[float]] = {}
    for at, value in points:
        if value is None:
            continue
        index = min(max_points - 1, max(0, int((at - start) / width)))
        sums.setdefault(index, []).append(value)
    return [
        (start + width * index + width / 2, sum(values) / len(values))
        for index, values in sorted(sums.items())
    ]


def line_chart(
    points: Iterable[tuple[dt.datetime, float | None]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    unit: str = "",
    decimals: int = 0,
    gap: dt.timedelta | None = None,
    max_points: int = 300,
    width: int = 720,
    height: int = 220,
    x_tick_count: int = 8,
    y_tick_count: int = 4,
) -> LineChart:
    """A time series as a chart over ``[start, end]``; the value axis starts at zero.

    ``None`` values and two points further apart than ``gap`` break the line, so missing data
    is not drawn as a straight slope. Beyond ``max_points`` the points are averaged per slice of
    time; minimum, maximum and average are computed on the points as given.
    """
    raw = sorted((at, value) for at, value in points if start <= at <= end)
    chart = LineChart(
        width=width, height=height, left=56, top=12, right=width - 12, bottom=height - 28,
        unit=unit,
    )  # fmt: skip
    values = [value for _at, value in raw if value is not None]
    shown = _bucket(raw, start=start, end=end, max_points=max_points)
    if values:
        chart.minimum = format_number(min(values), decimals=decimals)
        chart.maximum = format_number(max(values), decimals=decimals)
        chart.average = format_number(sum(values) / len(values), decimals=decimals)
    top_value = max(values, default=0.0)
    y_step = nice_step(top_value or 1.0, y_tick_count)
    y_max = y_step * max(1, math.ceil(top_value / y_step)) if top_value else y_step * y_tick_count
    span = (end - start).total_seconds() or 1.0

    def x_of(at: dt.datetime) -> float:
        return round(chart.left + (at - start).total_seconds() / span * chart.plot_width, 1)

    def y_of(value: float) -> float:
        return round(chart.bottom - value / y_max * chart.plot_height, 1)

    if len(shown) < len(raw) and gap is not None:
        # Averaged slices are wider than the raw spacing: keep gaps at least one slice wide.
        gap = max(gap, (end - start) / max_points * 2)
    runs: list[list[tuple[float, float]]] = []
    previous: dt.datetime | None = None
    for at, value in shown:
        if value is None:
            previous = None
            continue
        if previous is None or (gap is not None and at - previous > gap) or not runs:
            runs.append([])
        runs[-1].append((x_of(at), y_of(value)))
        previous = at
    for run in runs:
        if len(run) == 1:
            chart.dots.append(run[0])
            continue
        chart.lines.append(" ".join(f"{x},{y}" for x, y in run))
        chart.areas.append(
            " ".join(
                [f"{run[0][0]},{chart.bottom}"]
                + [f"{x},{y}" for x, y in run]
                + [f"{run[-1][0]},{chart.bottom}"]
            )
        )
    ticks = time_ticks(start, end, count=x_tick_count)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else end - start
    # A label centred on the very edge would spill over the value axis or out of the chart.
    chart.x_ticks = [
        Tick(x_of(at), _format_tick_time(at, step))
        for at in ticks
        if chart.left + 16 <= x_of(at) <= chart.right - 16
    ]
    chart.y_ticks = [
        Tick(y_of(i * y_step), format_number(i * y_step, decimals=0 if y_step >= 1 else 2))
        for i in range(round(y_max / y_step) + 1)
    ]
    chart.rows = [
        Row(at, _format_row_time(at), format_number(value, decimals=decimals))
        for at, value in shown
        if value is not None
    ]
    return chart
