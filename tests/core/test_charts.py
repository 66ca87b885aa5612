"""Server-side SVG charts: coordinates in Python, labels in the reader's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from msp_portal.core.charts import line_chart, nice_step, time_ticks

END = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
START = END - dt.timedelta(hours=24)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


@pytest.mark.parametrize(
    ("span", "count", "step"), [(87, 4, 50), (1, 4, 0.5), (1234, 4, 500), (9, 4, 5)]
)
def test_steps_are_round(span, count, step):
    assert nice_step(span, count) == step


def test_points_become_one_line_inside_the_plot():
    points = [(START + minutes(10 * i), 100.0 + i) for i in range(10)]

    chart = line_chart(points, start=START, end=END, unit="ms")

    assert len(chart.lines) == 1 and len(chart.areas) == 1
    for pair in chart.lines[0].split():
        x, y = map(float, pair.split(","))
        assert chart.left <= x <= chart.right and chart.top <= y <= chart.bottom
    assert (chart.minimum, chart.maximum) == ("100", "109")
    assert len(chart.rows) == 10


def test_a_missing_value_or_a_long_silence_breaks_the_line():
    points = [(START + minutes(i), 10.0) for i in range(5)]
    points.append((START + minutes(5), None))
    points += [(START + minutes(6 + i), 20.0) for i in range(5)]
    points += [(START + minutes(120 + i), 30.0) for i in range(3)]
    points.append((START + minutes(300), 40.0))

    chart = line_chart(points, start=START, end=END, gap=minutes(5))

    assert len(chart.lines) == 3
    assert len(chart.dots) == 1  # a lone point is still shown


def test_many_points_are_averaged_per_slice_but_extremes_are_kept():
    points = [(START + dt.timedelta(seconds=10 * i), float(i % 100)) for i in range(8640)]

    chart = line_chart(points, start=START, end=END, max_points=200, gap=minutes(1))

    assert len(chart.rows) <= 200
    assert (chart.minimum, chart.maximum) == ("0", "99")
    assert len(chart.lines) == 1


def test_no_points_make_an_empty_chart():
    chart = line_chart([], start=START, end=END)

    assert chart.empty
    with translation.override("en"):  # whatever an earlier test left active
        body = render_to_string("core/_line_chart.html", {"chart": chart, "title": "t"})
    assert "<svg" not in body and "No figures" in body


def test_time_ticks_fall_on_round_local_hours_across_a_dst_change():
    with timezone.override("Europe/Paris"):
        # The night clocks go forward in Paris (29 March 2026, 02:00 -> 03:00).
        start = dt.datetime(2026, 3, 28, 20, 0, tzinfo=dt.UTC)
        ticks = time_ticks(start, start + dt.timedelta(hours=24))
        local = [timezone.localtime(t) for t in ticks]

    assert local and all(t.minute == 0 and t.hour % 3 == 0 for t in local)
    assert len(set(ticks)) == len(ticks)


def test_labels_follow_the_language_but_coordinates_never_do():
    points = [(START + minutes(7 * i), 1234.5 + i / 3) for i in range(50)]
    with translation.override("fr"), timezone.override("Europe/Paris"):
        chart = line_chart(points, start=START, end=END, unit="ms", decimals=1)
        body = render_to_string(
            "core/_line_chart.html", {"chart": chart, "title": "Temps", "value_label": "ms"}
        )

    # French: a comma for decimals, a (non-breaking) space between thousands, a 24-hour clock.
    assert re.sub(r"\s", " ", chart.minimum) == "1 234,5"
    assert re.search(r"\d{2}:00", " ".join(t.label for t in chart.x_ticks))
    for value in re.findall(r'\s(?:x|y|x1|x2|y1|y2|cx|cy)="([^"]*)"', body):
        float(value)  # "12.5", never "12,5"
    for pair in " ".join(re.findall(r'points="([^"]*)"', body)).split():
        x, y = pair.split(",")
        float(x), float(y)
    assert "<details" in body and "Temps" in body


def test_bars_scale_to_the_fixed_maximum_and_skip_missing_values():
    from msp_portal.core.charts import bar_chart

    chart = bar_chart(
        [("P1", [100.0, 50.0]), ("P2", [None, 25.0])], series=["a", "b"], max_value=100
    )

    full, half = chart.groups[0].bars
    assert full.width == chart.right - chart.left
    assert half.width == pytest.approx(full.width / 2, abs=0.1)
    assert len(chart.groups[1].bars) == 1 and chart.groups[1].bars[0].css == "chart-series-1"
    assert [t.label for t in chart.ticks][-1] == "100"


def test_columns_have_one_group_per_day_with_thinned_localised_labels():
    from msp_portal.core.charts import column_chart

    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(30)]
    with translation.override("en"):
        chart = column_chart(days, [("opened", list(range(30))), ("closed", [1] * 30)])
        body = render_to_string("core/_column_chart.html", {"chart": chart, "title": "Backlog"})

    assert len(chart.groups) == 30 and all(len(g.bars) == 2 for g in chart.groups)
    assert 1 <= sum(1 for g in chart.groups if g.label) <= 8
    tallest = chart.groups[-1].bars[0]
    assert chart.top <= tallest.y and tallest.y + tallest.height == pytest.approx(chart.bottom)
    assert ("<title>Backlog</title>" in body and "March" in body) or "Mar" in body


def test_an_empty_bar_chart_says_so():
    from msp_portal.core.charts import bar_chart

    chart = bar_chart([], series=["x"])
    with translation.override("en"):
        body = render_to_string("core/_bar_chart.html", {"chart": chart, "title": "t"})
    assert chart.empty and "<svg" not in body and "No figures" in body
