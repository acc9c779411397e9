"""Vector SVG charts for the report: each group's value with its 95% interval, comparator marked.

Colour is never the only cue: the marker's shape says whether a group is higher than, lower
than or similar to White British, and the table beside each chart carries every number.
Palette: Okabe-Ito (safe for the common colour-vision deficiencies).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

HIGHER, LOWER, SIMILAR, COMPARATOR = "#D55E00", "#0072B2", "#555555", "#000000"
WIDTH, ROW, LABEL_W, PAD = 620, 22, 200, 12


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    lower: float | None
    upper: float | None
    significance: str  # higher | lower | similar | '' (comparator or not tested)
    comparator: bool = False


def nice_max(top: float) -> float:
    """A round axis maximum at or above ``top``."""
    if top <= 0 or not math.isfinite(top):
        return 1.0
    exp = 10 ** math.floor(math.log10(top))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= top:
            return step * exp
    return 10 * exp


def interval_chart(points: list[Point], unit: str, title: str) -> str:
    """A horizontal dot-and-whisker chart; the axis starts at zero so no difference is exaggerated."""
    shown = [p for p in points if p.value is not None]
    top = nice_max(max([p.upper or p.value for p in shown] + [0]) * 1.05)
    plot_w = WIDTH - LABEL_W - 2 * PAD
    height = ROW * len(points) + 46
    x = lambda v: LABEL_W + PAD + plot_w * (v / top)  # noqa: E731
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Noto Sans" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        v = top * i / 4
        parts.append(f'<line x1="{x(v):.1f}" y1="8" x2="{x(v):.1f}" y2="{height - 30}" stroke="#dddddd"/>')
        parts.append(f'<text x="{x(v):.1f}" y="{height - 16}" text-anchor="middle">{_tick(v)}</text>')
    parts.append(f'<text x="{LABEL_W + PAD + plot_w / 2:.1f}" y="{height - 2}" text-anchor="middle">{escape(unit)}</text>')
    comparator = next((p for p in points if p.comparator and p.value is not None), None)
    if comparator:
        cx = x(comparator.value)
        parts.append(f'<line x1="{cx:.1f}" y1="8" x2="{cx:.1f}" y2="{height - 30}" stroke="{COMPARATOR}" stroke-dasharray="4 3"/>')
    for i, p in enumerate(points):
        y = 16 + i * ROW
        weight = ' font-weight="bold"' if p.comparator else ""
        parts.append(f'<text x="{LABEL_W}" y="{y + 4}" text-anchor="end"{weight}>{escape(p.label)}</text>')
        if p.value is None:
            parts.append(f'<text x="{LABEL_W + PAD + 4}" y="{y + 4}" fill="#444444">not shown (see table)</text>')
            continue
        colour = {"higher": HIGHER, "lower": LOWER}.get(p.significance, COMPARATOR if p.comparator else SIMILAR)
        if p.lower is not None and p.upper is not None:
            parts.append(f'<line x1="{x(p.lower):.1f}" y1="{y}" x2="{x(min(p.upper, top)):.1f}" y2="{y}" stroke="{colour}" stroke-width="2"/>')
        parts.append(_marker(x(p.value), y, p, colour))
    parts.append("</svg>")
    return "\n".join(parts)


def _marker(cx: float, cy: float, p: Point, colour: str) -> str:
    if p.comparator:
        return f'<polygon points="{cx},{cy - 6} {cx + 6},{cy} {cx},{cy + 6} {cx - 6},{cy}" fill="{colour}"/>'
    if p.significance == "higher":
        return f'<polygon points="{cx},{cy - 6} {cx + 6},{cy + 5} {cx - 6},{cy + 5}" fill="{colour}"/>'
    if p.significance == "lower":
        return f'<polygon points="{cx},{cy + 6} {cx + 6},{cy - 5} {cx - 6},{cy - 5}" fill="{colour}"/>'
    return f'<circle cx="{cx:.1f}" cy="{cy}" r="4.5" fill="white" stroke="{colour}" stroke-width="2"/>'


def _tick(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:g}"
