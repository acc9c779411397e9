"""Funnel plots: each provider's value against its denominator, with the 95% and 99.8% control
limits around the all-provider value (the limits come from :mod:`pipeline.funnel`, the same
functions that placed each provider in the published table)."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from pipeline import funnel
from pipeline.report.charts import COMPARATOR, FONT, GRID, HIGHER, LOWER, SIMILAR, _svg_open, nice_ticks, tick

WIDTH, HEIGHT = 372, 222
PRINT_FRACTION = 0.6  # of the text block's width (report.css .funnel figure): the full-width charts' scale
LEFT, RIGHT, TOP, BOTTOM = 62, 14, 10, 58
MAX_LABELS = 12


@dataclass(frozen=True)
class ProviderPoint:
    code: str
    value: float
    denominator: float
    highlight: bool


def funnel_chart(points: list[ProviderPoint], target: float, kind: str, multiplier: float, unit: str,
                 title: str) -> str:
    """Providers as points (the highlighted ones filled and labelled), the all-provider value as a
    line, and the 95% (dashed) and 99.8% (solid) limits as curves; both axes start at zero."""
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
    parts = _svg_open(WIDTH, HEIGHT, title)
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
            parts.append(_curve(n, limits[f"{side}_{key}"], x, y, y_top, dash))
    parts.append(f'<line x1="{LEFT}" y1="{y(target):.1f}" x2="{WIDTH - RIGHT}" y2="{y(target):.1f}" stroke="{LOWER}" stroke-width="1.5"/>')
    label_all = len(points) <= MAX_LABELS
    for p in sorted(points, key=lambda p: p.highlight):
        cx, cy = x(p.denominator), y(p.value)
        if p.highlight:
            parts.append(f'<polygon points="{cx:.1f},{cy - 7:.1f} {cx + 7:.1f},{cy:.1f} {cx:.1f},{cy + 7:.1f} {cx - 7:.1f},{cy:.1f}" fill="{HIGHER}"/>')
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="white" stroke="{SIMILAR}" stroke-width="2"/>')
    # Labels, the highlighted provider's first; a label that would overlap one already placed is
    # left out (the table beside the chart names every provider).
    placed: list[tuple[float, float, float, float]] = []
    for p in sorted(points, key=lambda p: not p.highlight):
        if not (p.highlight or label_all):
            continue
        cx, cy = x(p.denominator), y(p.value)
        width = 7.5 * len(p.code) + (1 if p.highlight else 0)
        for dy in (-6, 16):
            anchor, dx = ("end", -9) if cx > LEFT + plot_w * 0.8 else ("start", 9)
            x0 = cx + dx - (width if anchor == "end" else 0)
            box = (x0, x0 + width, cy + dy - 12, cy + dy + 2)
            if not any(box[0] < b[1] and b[0] < box[1] and box[2] < b[3] and b[2] < box[3] for b in placed):
                placed.append(box)
                weight = ' font-weight="bold"' if p.highlight else ""
                parts.append(f'<text x="{cx + dx:.1f}" y="{cy + dy:.1f}" text-anchor="{anchor}"{weight}>{escape(p.code)}</text>')
                break
    parts.append("</svg>")
    return "\n".join(parts)


def _curve(n, values, x, y, y_top, dash) -> str:
    pts = [f"{x(a):.1f},{y(b):.1f}" for a, b in zip(n, values) if np.isfinite(b) and b <= y_top]
    return f'<polyline points="{" ".join(pts)}" fill="none" stroke="{COMPARATOR}" stroke-width="1.2"{dash}/>' if pts else ""

