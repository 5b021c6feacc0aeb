"""Bar charts as geometry for an inline SVG (templates/_chart.html draws them): no script, no inline style.

Each column is a stack of segments (answered, abandoned, …) with a tooltip and data-* attributes that
carry its figures as the server computed them, so what is drawn can be read back and checked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 26  # margins around the plot: tick labels left, x labels below
MAX_X_LABELS = 12


@dataclass(frozen=True)
class Segment:
    y: float
    height: float
    css: str  # the series: its class gives the colour (web/static/portal.css)


@dataclass(frozen=True)
class Column:
    x: float
    width: float
    label: str  # under the column; "" when the axis would be too crowded
    title: str  # the tooltip: every figure of the column in words
    data: dict[str, str]
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    columns: tuple[Column, ...]
    ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]  # (series class, label)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT


@dataclass(frozen=True)
class Bar:
    """One column's input: its figures per series, bottom to top."""

    label: str
    title: str
    data: dict[str, str]
    values: tuple[tuple[str, float], ...]  # (series class, value)


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (an axis top that reads well); 1 for 0."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)


def count_ticks(top: float) -> int:
    """How many steps divide a nice ceiling (1, 2 or 5 × 10^k) into whole numbers: 1→1, 2→2, 5→5,
    10→5 (of 2), 20→4 (of 5), 50→5 (of 10)."""
    steps = 4 if str(int(top)).startswith("2") else 5
    return max(1, min(steps, int(top)))


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], legend: Sequence[tuple[str, str]], *,
              y_max: float | None = None, tick_label: Callable[[float], str] = lambda v: f"{v:g}",
              ticks: int | None = None) -> BarChart:
    """Stacked columns over a linear axis from 0 to `y_max` (default: a nice ceiling of the tallest, with
    ticks on whole numbers: the columns are counts)."""
    top_value = y_max if y_max is not None else nice_ceiling(max((sum(v for _, v in b.values) for b in bars),
                                                                 default=0))
    if ticks is None:
        ticks = count_ticks(top_value)
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM
    plot_height = plot_bottom - plot_top
    band = (WIDTH - RIGHT - LEFT) / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / MAX_X_LABELS))
    columns = []
    for i, bar in enumerate(bars):
        y = float(plot_bottom)
        segments = []
        for css, value in bar.values:
            height = plot_height * value / top_value if top_value else 0.0
            y -= height
            segments.append(Segment(round(y, 2), round(height, 2), css))
        columns.append(Column(round(LEFT + i * band + band * 0.15, 2), round(band * 0.7, 2),
                              bar.label if i % every == 0 else "", bar.title, bar.data, tuple(segments)))
    tick_rows = tuple(Tick(round(plot_bottom - plot_height * k / ticks, 2), tick_label(top_value * k / ticks))
                      for k in range(ticks + 1))
    return BarChart(chart_id, title, tuple(columns), tick_rows, tuple(legend))
