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


# Bar and column charts: categories (clients, priorities, people) and days, one or two series.

#: CSS classes of the series, in order (static/css/portal.css colours them).
SERIES_CLASSES = ("chart-series-0", "chart-series-1", "chart-series-2")


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    #: Where the value is written: right of a horizontal bar, above a column.
    text_x: float
    text_y: float


@dataclass
class BarGroup:
    label: str
    label_x: float
    label_y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class BarChart:
    """Bars of one or more series per category, drawn by ``templates/core/_bar_chart.html``
    (horizontal) or ``_column_chart.html`` (vertical, one group per day)."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    unit: str
    series: list[tuple[str, str]] = field(default_factory=list)  # (name, css class)
    groups: list[BarGroup] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def tick_label_y(self) -> float:
        return self.bottom + 14

    @property
    def y_label_x(self) -> float:
        return self.left - 6


def _scale_max(top_value: float, count: int, fixed: float | None) -> tuple[float, float]:
    if fixed is not None:
        return fixed, nice_step(fixed, count)
    step = nice_step(top_value or 1.0, count)
    if float(top_value).is_integer():
        step = max(step, 1.0)  # counts: no 0.5 ticks that would read "0, 0, 1, 1"
    return step * max(1, math.ceil((top_value or 1.0) / step)), step


def _tick_decimals(step: float) -> int:
    """Enough decimals for neighbouring ticks never to read the same."""
    return 0 if float(step).is_integer() else max(1, -math.floor(math.log10(step)))


def bar_chart(
    items: Sequence[tuple[str, Sequence[float | None]]],
    *,
    series: Sequence[str],
    unit: str = "",
    decimals: int = 0,
    max_value: float | None = None,
    width: int = 720,
    label_width: int = 200,
    row_height: int = 26,
    tick_count: int = 5,
) -> BarChart:
    """Horizontal bars, one row per item, one bar per series in each row; values from zero.

    ``items`` are ``(label, values)`` with one value per series (``None``: no bar, no label).
    ``max_value`` fixes the scale (100 for percentages).
    """
    values = [v for _label, vs in items for v in vs if v is not None]
    top = 8.0
    height = int(top + row_height * len(items) + 24)
    chart = BarChart(
        width=width, height=height, left=label_width, top=top, right=width - 56,
        bottom=height - 24, unit=unit,
    )  # fmt: skip
    chart.series = [
        (name, SERIES_CLASSES[i % len(SERIES_CLASSES)]) for i, name in enumerate(series)
    ]
    scale, step = _scale_max(max(values, default=0.0), tick_count, max_value)
    plot = chart.right - chart.left
    bar_height = (row_height - 6) / max(1, len(series))
    for row, (label, row_values) in enumerate(items):
        y0 = top + row * row_height + 3
        group = BarGroup(
            label=label, label_x=chart.left - 8, label_y=round(y0 + (row_height - 6) / 2, 1)
        )
        for i, value in enumerate(row_values):
            if value is None:
                continue
            length = round(max(0.0, min(value, scale)) / scale * plot, 1)
            y = round(y0 + i * bar_height, 1)
            group.bars.append(
                Bar(
                    x=chart.left,
                    y=y,
                    width=length,
                    height=round(bar_height - 1, 1),
                    css=chart.series[i][1],
                    label=format_number(value, decimals=decimals),
                    text_x=round(chart.left + length + 4, 1),
                    text_y=round(y + bar_height / 2, 1),
                )
            )
        chart.groups.append(group)
    chart.ticks = [
        Tick(
            round(chart.left + i * step / scale * plot, 1),
            format_number(i * step, decimals=_tick_decimals(step)),
        )
        for i in range(round(scale / step) + 1)
    ]
    return chart


def column_chart(
    days: Sequence[dt.date],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    unit: str = "",
    width: int = 720,
    height: int = 220,
    label_count: int = 8,
    tick_count: int = 4,
) -> BarChart:
    """Vertical columns per day, the series side by side (opened next to closed, say).

    The day labels are thinned to about ``label_count``, formatted in the active language.
    """
    chart = BarChart(
        width=width, height=height, left=48, top=10, right=width - 10, bottom=height - 26,
        unit=unit,
    )  # fmt: skip
    if not days:
        return chart
    chart.series = [
        (name, SERIES_CLASSES[i % len(SERIES_CLASSES)]) for i, (name, _v) in enumerate(series)
    ]
    top_value = max((v for _name, vs in series for v in vs), default=0.0)
    scale, step = _scale_max(top_value, tick_count, None)
    slot = (chart.right - chart.left) / len(days)
    bar_width = slot * 0.8 / max(1, len(series))
    every = max(1, math.ceil(len(days) / label_count))
    plot = chart.bottom - chart.top
    for index, day in enumerate(days):
        x0 = chart.left + index * slot + slot * 0.1
        shown = index % every == 0
        group = BarGroup(
            label=formats.date_format(day, "MONTH_DAY_FORMAT") if shown else "",
            label_x=round(chart.left + (index + 0.5) * slot, 1),
            label_y=chart.bottom + 14,
        )
        for i, (_name, values) in enumerate(series):
            value = values[index]
            length = round(max(0.0, value) / scale * plot, 1)
            x = round(x0 + i * bar_width, 1)
            group.bars.append(
                Bar(
                    x=x,
                    y=round(chart.bottom - length, 1),
                    width=round(max(bar_width - 0.5, 0.5), 1),
                    height=length,
                    css=chart.series[i][1],
                    label=format_number(value),
                    text_x=round(x + bar_width / 2, 1),
                    text_y=round(chart.bottom - length - 3, 1),
                )
            )
        chart.groups.append(group)
    chart.ticks = [
        Tick(
            round(chart.bottom - i * step / scale * plot, 1),
            format_number(i * step, decimals=_tick_decimals(step)),
        )
        for i in range(round(scale / step) + 1)
    ]
    return chart
