"""Geometry for the dashboard's inline SVG charts; the templates draw it, the browser runs no code.

Sizes are in viewBox units: the charts scale to the card's width, and at 390 px one unit is
about one CSS pixel, so 12-unit text stays readable on a phone.
"""

from dataclasses import dataclass

WIDTH = 320


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    baseline: float


def columns(values: list[tuple[str, int]], height: int = 190) -> BarChart:
    """Vertical bars with the count above each and its label below."""
    top, bottom, side = 22, 30, 6
    plot = height - top - bottom
    slot = (WIDTH - 2 * side) / max(1, len(values))
    most = max((v for _, v in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        bar_height = round(plot * value / most, 1)
        bars.append(
            Bar(
                x=round(side + index * slot + slot * 0.15, 1),
                y=round(top + plot - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=bar_height,
                value=value,
                label=label,
            )
        )
    return BarChart(WIDTH, height, bars, top + plot)


def rows(values: list[tuple[str, int]], row_height: int = 28) -> BarChart:
    """Horizontal bars, one per row: the label at the left, the value after the bar."""
    label_width, value_width = 52, 40
    room = WIDTH - label_width - value_width
    most = max((v for _, v in values), default=0) or 1
    bars = [
        Bar(
            x=label_width,
            y=index * row_height + 4,
            width=max(2, round(room * value / most, 1)),
            height=row_height - 8,
            value=value,
            label=label,
        )
        for index, (label, value) in enumerate(values)
    ]
    return BarChart(WIDTH, max(row_height, len(values) * row_height), bars, label_width)


@dataclass
class Sparkline:
    width: int
    height: int
    points: str
    last_x: float
    last_y: float
    low: int


def sparkline(scores: list[int], width: int = 112, height: int = 32) -> Sparkline:
    """A line through the totals, oldest first, on one scale for every station (from 50 or lower to 100)."""
    pad = 4
    low = min(50, (min(scores) // 10) * 10) if scores else 50
    span = 100 - low or 1
    step = (width - 2 * pad) / (len(scores) - 1) if len(scores) > 1 else 0
    coordinates = []
    for index, score in enumerate(scores):
        x = round(pad + index * step if len(scores) > 1 else width - pad, 1)
        y = round(pad + (height - 2 * pad) * (100 - score) / span, 1)
        coordinates.append((x, y))
    last_x, last_y = coordinates[-1] if coordinates else (width - pad, height - pad)
    return Sparkline(width, height, " ".join(f"{x},{y}" for x, y in coordinates), last_x, last_y, low)
