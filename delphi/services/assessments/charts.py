"""Geometry for the server-rendered SVG charts (templates/_macros/radar.html draws them).

Pure functions: values in, coordinates out. Levels run 1–5; a missing value (not answered, not applicable) is a
gap in its series' line, never a point at the centre (which would read as level 0): the line stops before the
axis and starts again after it, the axis is drawn dashed when the first series has no value there, and the table
beside every chart says which it is.

A radar needs at least three axes to enclose an area: a domain with fewer indicators gets a bar chart instead.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

MAX_LEVEL = 5

# Series styles: colour plus a second signal (dash pattern, marker shape), so colour is never the only cue.
STYLES = {
    "current": {"color": "#1f5fae", "dash": "", "fill": "#1f5fae", "fill_opacity": "0.18", "marker": "circle"},
    "target": {"color": "#b35c00", "dash": "6 4", "fill": "none", "fill_opacity": "0", "marker": "square"},
    "median": {"color": "#5b6475", "dash": "3 3", "fill": "none", "fill_opacity": "0", "marker": "square"},
    "highest": {"color": "#1c7c45", "dash": "8 3 2 3", "fill": "none", "fill_opacity": "0", "marker": "diamond"},
    "earlier": {"color": "#8e3b8e", "dash": "2 3", "fill": "none", "fill_opacity": "0", "marker": "circle"},
}
PALETTE = ["#1f5fae", "#b35c00", "#1c7c45", "#8e3b8e", "#b3261e", "#00838f", "#5b6475", "#6d4c41"]
DASHES = ["", "6 4", "2 3", "8 3 2 3", "10 4", "4 2 1 2", "1 3", "12 3 3 3"]


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    value: float
    label: str  # e.g. "I.1.1 current 3"


@dataclass(frozen=True)
class PlottedSeries:
    key: str
    label: str
    points: str  # SVG polygon points (when every axis has a value)
    markers: tuple[Marker, ...]
    color: str
    dash: str
    fill: str
    fill_opacity: str
    marker: str
    # With a gap: the runs of consecutive values (around the circle) as polylines, and no closed shape.
    segments: tuple[str, ...] = ()

    @property
    def closed(self) -> bool:
        return not self.segments


@dataclass(frozen=True)
class Axis:
    code: str
    title: str
    x: float
    y: float
    lx: float
    ly: float
    anchor: str
    missing: bool = False  # the first series (the assessment's own level) has no value on this axis


@dataclass(frozen=True)
class RadarChart:
    width: int
    height: int
    cx: float
    cy: float
    radius: float
    rings: tuple[tuple[int, str, float, float], ...]  # (level, polygon points, label x, label y)
    axes: tuple[Axis, ...]
    series: tuple[PlottedSeries, ...]
    kind: str = "radar"


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    x: float
    y: float
    width: float
    height: float
    value: float | None
    color: str


@dataclass(frozen=True)
class BarRow:
    code: str
    title: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: float
    plot_width: float
    ticks: tuple[tuple[int, float], ...]  # (level, x)
    rows: tuple[BarRow, ...]
    series: tuple[PlottedSeries, ...]  # legend only
    kind: str = "bars"


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _style(key: str, n: int = 0) -> dict[str, str]:
    if key in STYLES:
        return STYLES[key]
    return {"color": PALETTE[n % len(PALETTE)], "dash": DASHES[n % len(DASHES)], "fill": "none",
            "fill_opacity": "0", "marker": "circle"}


def radar(codes: Sequence[str], titles: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]],
          *, size: int = 360) -> RadarChart | BarChart:
    """One axis per indicator (clockwise from the top), rings at levels 1–5, one polygon per series.

    series: (key, label, values) with one value per axis.
    """
    n = len(codes)
    if n < 3:
        return bars(codes, titles, series)
    margin_x, margin_y = 70, 34
    radius = size / 2 - 10
    width, height = int(size + 2 * margin_x), int(size + 2 * margin_y)
    cx, cy = width / 2, height / 2
    angles = [-math.pi / 2 + 2 * math.pi * i / n for i in range(n)]

    def point(angle: float, value: float) -> tuple[float, float]:
        r = radius * value / MAX_LEVEL
        return round(cx + r * math.cos(angle), 1), round(cy + r * math.sin(angle), 1)

    rings = []
    for level in range(1, MAX_LEVEL + 1):
        pts = " ".join(f"{x},{y}" for x, y in (point(a, level) for a in angles))
        lx, ly = point(angles[0], level)
        rings.append((level, pts, lx + 3, ly + 4))
    axes = []
    for code, title, angle in zip(codes, titles, angles):
        x, y = point(angle, MAX_LEVEL)
        lx, ly = point(angle, MAX_LEVEL * (radius + 12) / radius)
        c = math.cos(angle)
        anchor = "middle" if abs(c) < 0.25 else ("start" if c > 0 else "end")
        if math.sin(angle) > 0.5:
            ly += 10
        elif abs(c) < 0.25 or math.sin(angle) > -0.1:
            ly += 4
        first = series[0][2] if series else ()
        missing = bool(first) and first[len(axes)] is None
        axes.append(Axis(code, title, x, y, round(lx, 1), round(ly, 1), anchor, missing))
    plotted = []
    for n_series, (key, label, values) in enumerate(series):
        style = _style(key, n_series)
        spots: list[tuple[float, float] | None] = []
        markers = []
        for code, angle, value in zip(codes, angles, values):
            if value is None:
                spots.append(None)
                continue
            x, y = point(angle, value)
            spots.append((x, y))
            markers.append(Marker(x, y, value, f"{code} {label.lower()} {_fmt(value)}"))
        complete = all(s is not None for s in spots)
        points = " ".join(f"{x},{y}" for x, y in spots) if complete else ""  # type: ignore[misc]
        plotted.append(PlottedSeries(key=key, label=label, points=points, markers=tuple(markers),
                                     segments=() if complete else _runs(spots), **style))
    return RadarChart(width, height, cx, cy, radius, tuple(rings), tuple(axes), tuple(plotted))


def _runs(spots: Sequence[tuple[float, float] | None]) -> tuple[str, ...]:
    """Polylines through consecutive present points, wrapping from the last axis to the first; a lone point is
    left to its marker."""
    n = len(spots)
    if not any(spots):
        return ()
    start = next(i for i in range(n) if spots[i] is None)  # there is a gap: begin just after one
    runs, current = [], []
    for k in range(1, n + 1):
        spot = spots[(start + k) % n]
        if spot is None:
            if len(current) > 1:
                runs.append(" ".join(f"{x},{y}" for x, y in current))
            current = []
        else:
            current.append(spot)
    if len(current) > 1:
        runs.append(" ".join(f"{x},{y}" for x, y in current))
    return tuple(runs)


def bars(codes: Sequence[str], titles: Sequence[str],
         series: Sequence[tuple[str, str, Sequence[float | None]]]) -> BarChart:
    """Horizontal bars on the 1–5 scale, one group per indicator (used below three indicators)."""
    left, plot_width, bar_h, gap = 90, 320, 14, 12
    group_h = len(series) * (bar_h + 2) + gap
    top = 28
    height = int(top + group_h * max(len(codes), 1) + 24)
    rows = []
    for i, (code, title) in enumerate(zip(codes, titles)):
        y0 = top + i * group_h
        group = []
        for s, (key, label, values) in enumerate(series):
            value = values[i]
            style = _style(key, s)
            w = plot_width * (value or 0) / MAX_LEVEL
            group.append(Bar(key, label, left, y0 + s * (bar_h + 2), round(w, 1), bar_h, value, style["color"]))
        rows.append(BarRow(code, title, y0 + (len(series) * (bar_h + 2)) / 2, tuple(group)))
    ticks = tuple((level, round(left + plot_width * level / MAX_LEVEL, 1)) for level in range(0, MAX_LEVEL + 1))
    legend = tuple(PlottedSeries(key=key, label=label, points="", markers=(), **_style(key, s))
                   for s, (key, label, _v) in enumerate(series))
    return BarChart(left + plot_width + 40, height, left, plot_width, ticks, tuple(rows), legend)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    top: float
    plot_width: float
    plot_height: float
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, int], ...]
    lines: tuple[PlottedSeries, ...]
    end_labels: tuple[tuple[float, float, str, str], ...]  # x, y, text, colour
    kind: str = "line"


def timeline(dates: Sequence[date], labels: Sequence[str],
             series: Sequence[tuple[str, str, Sequence[float | None]]]) -> LineChart:
    """Levels over time: x is the reference date (to scale), y the level 1–5; one line per series."""
    left, top, plot_width, plot_height, right = 44, 16, 560, 220, 90
    width, height = int(left + plot_width + right), int(top + plot_height + 46)
    ordinals = [d.toordinal() for d in dates]
    lo, hi = (min(ordinals), max(ordinals)) if ordinals else (0, 0)

    def x_of(i: int) -> float:
        if hi == lo:
            return round(left + plot_width / 2, 1)
        return round(left + plot_width * (ordinals[i] - lo) / (hi - lo), 1)

    def y_of(v: float) -> float:
        return round(top + plot_height * (MAX_LEVEL - v) / (MAX_LEVEL - 1), 1)

    lines, end_labels = [], []
    for s, (key, label, values) in enumerate(series):
        style = _style(key, s)
        pts = [(x_of(i), y_of(v), v) for i, v in enumerate(values) if v is not None]
        markers = tuple(Marker(x, y, v, f"{label} {labels[i]}: {_fmt(v)}")
                        for i, (x, y, v) in enumerate(pts))
        lines.append(PlottedSeries(key=key, label=label, points=" ".join(f"{x},{y}" for x, y, _ in pts),
                                   markers=markers, **style))
        if pts:
            end_labels.append((pts[-1][0] + 8, pts[-1][1] + 4, key, style["color"]))
    # Nudge end labels apart so that lines ending at the same level stay readable.
    end_labels.sort(key=lambda e: e[1])
    spaced: list[tuple[float, float, str, str]] = []
    for x, y, text, color in end_labels:
        if spaced and y - spaced[-1][1] < 11:
            y = spaced[-1][1] + 11
        spaced.append((x, round(y, 1), text, color))
    x_ticks = tuple((x_of(i), labels[i]) for i in range(len(dates)))
    y_ticks = tuple((y_of(level), level) for level in range(1, MAX_LEVEL + 1))
    return LineChart(width, height, left, top, plot_width, plot_height, x_ticks, y_ticks, tuple(lines),
                     tuple(spaced))
