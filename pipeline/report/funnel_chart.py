"""Funnel plots: each provider's value against its denominator, with the 95% and 99.8% control
limits around the all-provider value (the limits come from :mod:`pipeline.funnel`, the same
functions that placed each provider in the published table)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from pipeline import funnel
from pipeline.report.charts import (COMPARATOR, FONT, GRID, HIGHER, LOWER, SIMILAR, _svg_open, nice_ticks, text_width,
                                   tick)

WIDTH, HEIGHT = 372, 222
PRINT_FRACTION = 0.6  # of an A4 text block, as the HTML edition prints a funnel plot (edition.css @media print)
LEFT, RIGHT, TOP, BOTTOM = 62, 14, 10, 58
MAX_LABELS = 12


@dataclass(frozen=True)
class ProviderPoint:
    code: str
    value: float
    denominator: float
    highlight: bool


def funnel_chart(points: list[ProviderPoint], target: float, kind: str, multiplier: float, unit: str,
                 alt: str, chart_id: str) -> str:
    """Providers as points (the highlighted ones filled and labelled), the all-provider value as a
    line, and the 95% (dashed) and 99.8% (solid) limits as curves, cut at the plot's edges; both
    axes start at zero."""
    x_top = nice_ticks(max(p.denominator for p in points) * 1.08)[-1]
    n = np.linspace(x_top / 120, x_top, 120)
    limits = funnel.limits_at(np.full(n.shape, target), n, kind, multiplier)
    low_n = min(p.denominator for p in points) * 0.6
    near = funnel.limits_at(np.array([target]), np.array([max(low_n, 1.0)]), kind, multiplier)
    y_high = max([p.value for p in points] + [float(near["upper_998"][0]), target]) * 1.05
    y_ticks = nice_ticks(min(y_high, float(multiplier)) if kind == "proportion" else y_high)
    y_top = y_ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = lambda v: LEFT + plot_w * v / x_top  # noqa: E731
    y = lambda v: TOP + plot_h * (1 - min(v, y_top) / y_top)  # noqa: E731
    y_raw = lambda v: TOP + plot_h * (1 - v / y_top)  # noqa: E731  (a limit's own height, cut by _curve)
    parts = _svg_open(WIDTH, HEIGHT, alt, chart_id)
    for v in y_ticks:
        parts.append(f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{WIDTH - RIGHT}" y2="{y(v):.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y(v) + 4.5:.1f}" text-anchor="end">{tick(v)}</text>')
    for v in (0, x_top / 2, x_top):
        anchor = "start" if v == 0 else ("end" if v == x_top else "middle")
        parts.append(f'<text x="{x(v):.1f}" y="{TOP + plot_h + 17:.1f}" text-anchor="{anchor}">{tick(v)}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#333333"/>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333333"/>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 24}" text-anchor="middle">Denominator (people, referrals or days)</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{escape(unit)} (vertical)</text>')
    for key, dash in (("95", ' stroke-dasharray="6 4"'), ("998", "")):
        for side in ("lower", "upper"):
            parts.append(_curve([(x(a), y_raw(b)) for a, b in zip(n, limits[f"{side}_{key}"])], TOP, TOP + plot_h, dash))
    parts.append(f'<line x1="{LEFT}" y1="{y(target):.1f}" x2="{WIDTH - RIGHT}" y2="{y(target):.1f}" stroke="{LOWER}" stroke-width="1.5"/>')
    for p in sorted(points, key=lambda p: p.highlight):
        cx, cy = x(p.denominator), y(p.value)
        if p.highlight:
            parts.append(f'<polygon points="{cx:.1f},{cy - 7:.1f} {cx + 7:.1f},{cy:.1f} {cx:.1f},{cy + 7:.1f} {cx - 7:.1f},{cy:.1f}" fill="{HIGHER}"/>')
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="white" stroke="{SIMILAR}" stroke-width="2"/>')
    area = (LEFT + 2, WIDTH - RIGHT - 2, TOP, TOP + plot_h - 2)
    labelled = [p for p in points if p.highlight or len(points) <= MAX_LABELS]
    for p, (tx, ty, anchor) in place_labels(labelled, [(x(p.denominator), y(p.value)) for p in points], x, y, area):
        weight = ' font-weight="bold"' if p.highlight else ""
        parts.append(f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}"{weight}>{escape(p.code)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


Box = tuple[float, float, float, float]  # x0, x1, y0, y1


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]


def place_labels(points: list[ProviderPoint], markers: list[tuple[float, float]], x, y,
                 area: Box) -> list[tuple[ProviderPoint, tuple[float, float, str]]]:
    """Each label at the first of eight places round its point that lies inside ``area`` and
    overlaps no marker and no label already placed, the highlighted provider's first; a label
    with no such place is left out (the table beside the chart names every provider)."""
    taken: list[Box] = [(mx - 6, mx + 6, my - 6, my + 6) for mx, my in markers]
    placed = []
    for p in sorted(points, key=lambda p: (not p.highlight, p.code)):
        cx, cy = x(p.denominator), y(p.value)
        width, height = text_width(p.code, bold=p.highlight) + 2, FONT
        for dx, dy in ((9, -5), (9, 14), (-9, -5), (-9, 14), (9, 4.5), (-9, 4.5), (0, -10), (0, 22)):
            anchor = "start" if dx > 0 else ("end" if dx < 0 else "middle")
            x0 = cx + dx - {"start": 0, "end": width, "middle": width / 2}[anchor]
            box = (x0, x0 + width, cy + dy - height, cy + dy + 3)
            inside = area[0] <= box[0] and box[1] <= area[1] and area[2] <= box[2] and box[3] <= area[3]
            if inside and not any(_overlaps(box, t) for t in taken):
                taken.append(box)
                placed.append((p, (cx + dx, cy + dy, anchor)))
                break
    return placed


def _curve(points: list[tuple[float, float]], top: float, bottom: float, dash: str) -> str:
    """A limit curve as polylines, cut where it leaves the plot's height (a limit beyond the axis's
    top, or undefined, is not drawn): no line runs outside the axes."""
    runs: list[list[tuple[float, float]]] = [[]]
    prev = None
    for px, py in points:
        inside = math.isfinite(py) and top <= py <= bottom
        if prev is not None and math.isfinite(py) and math.isfinite(prev[1]):
            edge = top if min(py, prev[1]) < top else bottom
            crosses = (prev[1] - edge) * (py - edge) < 0
            if crosses:
                t = (edge - prev[1]) / (py - prev[1])
                runs[-1].append((prev[0] + t * (px - prev[0]), edge))
                if not inside:
                    runs.append([])
        if inside:
            runs[-1].append((px, py))
        elif runs[-1]:
            runs.append([])
        prev = (px, py)
    lines = [" ".join(f"{a:.1f},{b:.1f}" for a, b in run) for run in runs if len(run) > 1]
    return "".join(f'<polyline points="{pts}" fill="none" stroke="{COMPARATOR}" stroke-width="1.2"{dash}/>'
                   for pts in lines)
