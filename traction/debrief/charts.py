"""Server-rendered SVG charts of a scorecard metric: its measured trend against the baseline,
the forecast path and the target. No script: the SVG is part of the page, with a title and
a description for screen readers (pages also show the same data as a table).

Styles are SVG presentation attributes (``stroke``, ``fill``): the Content-Security-Policy
allows no ``style`` attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from traction.core.dates import short

ACTUAL = "#1f5fa8"
FORECAST = "#8a5a00"
TARGET = "#1c7c3a"
BASELINE = "#666666"
GRID = "#dddddd"
TEXT = "#333333"


@dataclass(frozen=True)
class Point:
    on: date
    value: Decimal


def _fmt(value: Decimal | float) -> str:
    d = Decimal(str(value)).normalize()
    return f"{d:f}"


@dataclass
class _Frame:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    first: int  # date ordinals
    last: int
    low: float
    high: float

    def x(self, on: date) -> float:
        span = max(self.last - self.first, 1)
        return self.left + (on.toordinal() - self.first) / span * (
            self.width - self.left - self.right
        )

    def y(self, value: Decimal | float) -> float:
        span = (self.high - self.low) or 1.0
        return self.top + (self.high - float(value)) / span * (self.height - self.top - self.bottom)


def _frame(
    width: int,
    height: int,
    pad: tuple[int, int, int, int],
    dates: Sequence[date],
    values: Sequence[Decimal | float],
) -> _Frame:
    low = min(float(v) for v in values)
    high = max(float(v) for v in values)
    if low == high:
        low, high = low - 1, high + 1
    margin = (high - low) * 0.08
    first = min(d.toordinal() for d in dates)
    last = max(d.toordinal() for d in dates)
    return _Frame(width, height, *pad, first=first, last=last, low=low - margin, high=high + margin)


def _polyline(frame: _Frame, points: Sequence[Point], colour: str, dash: str = "") -> str:
    coords = " ".join(f"{frame.x(p.on):.1f},{frame.y(p.value):.1f}" for p in points)
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"'
        f'{dashed} stroke-linejoin="round" stroke-linecap="round"/>'
    )


def trend_svg(
    *,
    chart_id: str,
    name: str,
    unit: str,
    actual: Sequence[Point],
    baseline: Point | None,
    target: Point | None,
    forecast: Sequence[Point],
    description: str,
    width: int = 720,
    height: int = 300,
) -> SafeString:
    """The metric's chart: measured values (solid), forecast path (dashed), the baseline and
    target as marked points with a level line each. ``description`` sums the chart up in
    words (progress, status) for screen readers."""
    title_id = f"{chart_id}-title"
    desc_id = f"{chart_id}-desc"
    head = (
        f'<svg class="metric-chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(name)}{" (" + escape(unit) + ")" if unit else ""}'
        f'</title><desc id="{desc_id}">{escape(description)}</desc>'
    )
    dates = [p.on for p in actual] + [p.on for p in forecast]
    values: list[Decimal | float] = [p.value for p in actual]
    values += [p.value for p in forecast]
    for marker in (baseline, target):
        if marker is not None:
            dates.append(marker.on)
            values.append(marker.value)
    if not dates:
        return mark_safe(  # noqa: S308 - every piece is escaped or a number
            head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{TEXT}">'
            "No measurements, baseline or target yet.</text></svg>"
        )
    frame = _frame(width, height, (64, 16, 16, 40), dates, values)
    parts = [head]
    # Grid and value labels: round levels (a 1, 2, 2.5 or 5 step), all with the same decimals.
    for level, label in axis_levels(frame.low, frame.high):
        y = frame.y(level)
        parts.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
    first, last = date.fromordinal(frame.first), date.fromordinal(frame.last)
    parts.append(
        f'<text x="{frame.left}" y="{height - 14}" font-size="11" fill="{TEXT}">'
        f"{short(first)}</text>"
        f'<text x="{width - frame.right}" y="{height - 14}" font-size="11" text-anchor="end" '
        f'fill="{TEXT}">{short(last)}</text>'
    )
    if baseline is not None:
        y = frame.y(baseline.value)
        parts.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{BASELINE}" stroke-width="1" stroke-dasharray="2 4"/>'
            f'<circle cx="{frame.x(baseline.on):.1f}" cy="{y:.1f}" r="5" fill="{BASELINE}">'
            f"<title>Baseline {_fmt(baseline.value)} on {short(baseline.on)}</title></circle>"
        )
    if target is not None:
        y = frame.y(target.value)
        parts.append(
            f'<line x1="{frame.left}" x2="{width - frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{TARGET}" stroke-width="1" stroke-dasharray="6 3"/>'
            f'<rect x="{frame.x(target.on) - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
            f'fill="{TARGET}"><title>Target {_fmt(target.value)} by {short(target.on)}'
            "</title></rect>"
        )
    if len(forecast) > 1:
        parts.append(_polyline(frame, forecast, FORECAST, dash="6 4"))
    if len(actual) > 1:
        parts.append(_polyline(frame, actual, ACTUAL))
    if len(actual) <= 60:
        for p in actual:
            parts.append(
                f'<circle cx="{frame.x(p.on):.1f}" cy="{frame.y(p.value):.1f}" r="3" '
                f'fill="{ACTUAL}"><title>{short(p.on)}: {_fmt(p.value)}</title></circle>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped or a number


def sparkline_svg(
    values: Sequence[Point], *, label: str, width: int = 120, height: int = 28
) -> SafeString:
    """A small trend line for a table cell, labelled for screen readers."""
    if len(values) < 2:
        return mark_safe("")
    frame = _frame(width, height, (2, 2, 2, 2), [p.on for p in values], [p.value for p in values])
    return mark_safe(  # noqa: S308 - every piece is escaped or a number
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">' + _polyline(frame, values, ACTUAL) + "</svg>"
    )


def axis_levels(low: float, high: float, most: int = 6) -> list[tuple[float, str]]:
    """The value axis's levels between ``low`` and ``high``: multiples of a round step (1, 2,
    2.5 or 5 times a power of ten) giving at most ``most`` levels, each labelled with the
    step's decimals ("0, 25, 50, 75, 100"; "6.5, 7.0, 7.5"), not "6.30, 28.8, 51.2"."""
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return [(low, _label(low, 2))]
    power = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * power
        if span / step <= most - 1:
            break
    exponent = Decimal(repr(round(step, 12))).normalize().as_tuple().exponent
    places = max(0, -exponent) if isinstance(exponent, int) else 0
    first = math.ceil(low / step - 1e-9)
    levels = []
    n = first
    while n * step <= high + 1e-9 * step:
        levels.append((n * step, _label(n * step, places)))
        n += 1
    return levels


def _label(value: float, places: int) -> str:
    value = 0.0 if abs(value) < 1e-12 else value
    return f"{value:,.{places}f}" if abs(value) >= 1000 else f"{value:.{places}f}"
