"""Vector SVG charts for the report: each group's value with its 95% interval, comparator marked,
and small multiples for the intersectional view.

Colour is never the only cue: the marker's shape says whether a group is higher than, lower
than or similar to White British, every value is written beside its row, and a table follows
each chart. Palette: Okabe-Ito (safe for the common colour-vision deficiencies). Axes start at
zero so no difference is exaggerated.

Sizes are in SVG user units. The report prints a chart ``WIDTH`` units wide across the text
block (``PRINT_WIDTH_PT``), so one unit prints at ``SCALE`` points: ``FONT`` is chosen so that
chart text prints at 10 pt or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

HIGHER, LOWER, SIMILAR, COMPARATOR, GRID = "#D55E00", "#0072B2", "#555555", "#000000", "#d9d9d9"
PRINT_WIDTH_PT = 178 / 25.4 * 72  # A4 less 16 mm margins each side
WIDTH = 620
SCALE = PRINT_WIDTH_PT / WIDTH
FONT = 13  # prints at 13 x 0.814 = 10.6 pt
ROW, LABEL_W, PAD = 17, 190, 10
VALUE_X, INTERVAL_X = WIDTH - 150, WIDTH - 4  # right edges of the value and interval columns
PLOT_END = WIDTH - 215  # the plot ends left of the longest value ('7,417.4') and interval


FONTS = Path(__file__).resolve().parents[2] / "reports" / "fonts"


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, int], int]:
    """Each character's advance width in the shipped Noto Sans, and the font's units per em."""
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / ("NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"), lazy=True)
    metrics = font["hmtx"].metrics
    return {code: metrics[glyph][0] for code, glyph in font.getBestCmap().items()}, font["head"].unitsPerEm


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """How wide ``text`` is drawn in the shipped font, in SVG units (a character it lacks counts as 1 em)."""
    advances, em = _advances(bold)
    return sum(advances.get(ord(c), em) for c in text) / em * size


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    lower: float | None
    upper: float | None
    significance: str  # higher | lower | similar | '' (comparator, total or not tested)
    comparator: bool = False
    text: str = ""  # the value as printed ('12.3', '*', 'n/a')
    total: bool = False
    interval: str = ""  # its 95% interval as printed ('10.1 to 14.6'), '' when there is none


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Axis ticks from zero in round steps (1, 2, 2.5 or 5 times a power of ten), at most ``most``
    intervals, the last at or above ``top``: 0-100-200-300, never 0-62-125-188-250."""
    if not math.isfinite(top) or top <= 0:
        return [0.0, 0.5, 1.0]
    exp = 10 ** math.floor(math.log10(top / most))
    step = next(m * exp for m in (1, 2, 2.5, 5, 10) if m * exp * most >= top * (1 - 1e-12))
    return [round(i * step, 12) for i in range(math.ceil(top / step - 1e-9) + 1)]


def tick(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 10:
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _svg_open(width: float, height: float, alt: str, chart_id: str) -> list[str]:
    """An inline SVG whose <title> is its text alternative: WeasyPrint makes it the PDF Figure's
    /Alt, and browsers give it to assistive technology through aria-labelledby."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Noto Sans" font-size="{FONT}" '
        f'role="img" aria-labelledby="{chart_id}">',
        f'<title id="{chart_id}">{escape(alt)}</title>',
    ]


def colour_of(p: Point) -> str:
    if p.comparator or p.total:
        return COMPARATOR
    return {"higher": HIGHER, "lower": LOWER}.get(p.significance, SIMILAR)


def marker(cx: float, cy: float, p: Point, size: float = 6) -> str:
    """Diamond: comparator; square: all people; triangle up/down: significantly higher/lower;
    open circle: similar or not tested."""
    c, s = colour_of(p), size
    if p.comparator:
        return f'<polygon points="{cx:.1f},{cy - s:.1f} {cx + s:.1f},{cy:.1f} {cx:.1f},{cy + s:.1f} {cx - s:.1f},{cy:.1f}" fill="{c}"/>'
    if p.total:
        return f'<rect x="{cx - s * .75:.1f}" y="{cy - s * .75:.1f}" width="{s * 1.5:.1f}" height="{s * 1.5:.1f}" fill="white" stroke="{c}" stroke-width="2"/>'
    if p.significance == "higher":
        return f'<polygon points="{cx:.1f},{cy - s:.1f} {cx + s:.1f},{cy + s * .8:.1f} {cx - s:.1f},{cy + s * .8:.1f}" fill="{c}"/>'
    if p.significance == "lower":
        return f'<polygon points="{cx:.1f},{cy + s:.1f} {cx + s:.1f},{cy - s * .8:.1f} {cx - s:.1f},{cy - s * .8:.1f}" fill="{c}"/>'
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{s * .7:.1f}" fill="white" stroke="{c}" stroke-width="2"/>'


def axis_ticks(points: list[Point], cap: float | None = None) -> list[float]:
    """The value axis's ticks: just past the highest upper limit, and never past ``cap`` (100%)."""
    shown = [p.upper if p.upper is not None else p.value for p in points if p.value is not None]
    top = max(shown + [0]) * 1.04
    return nice_ticks(min(top, cap) if cap else top)


def interval_chart(points: list[Point], unit: str, alt: str, chart_id: str, cap: float | None = None) -> str:
    """A horizontal dot-and-whisker chart with each value and its 95% interval written at the right."""
    ticks = axis_ticks(points, cap)
    top = ticks[-1]
    x0, plot_w = LABEL_W + PAD, PLOT_END - LABEL_W - PAD
    first = 21  # below the column headings
    axis_y = first + ROW * len(points)
    height = axis_y + 35
    x = lambda v: x0 + plot_w * min(v, top) / top  # noqa: E731
    parts = _svg_open(WIDTH, height, alt, chart_id)
    parts.append(f'<text x="{VALUE_X}" y="13" text-anchor="end" font-weight="bold">Value</text>')
    parts.append(f'<text x="{INTERVAL_X}" y="13" text-anchor="end" font-weight="bold">95% CI</text>')
    for v in ticks:
        parts.append(f'<line x1="{x(v):.1f}" y1="{first - 4}" x2="{x(v):.1f}" y2="{axis_y}" stroke="{GRID}"/>')
        parts.append(f'<text x="{x(v):.1f}" y="{axis_y + 14}" text-anchor="middle">{tick(v)}</text>')
    parts.append(f'<line x1="{x0}" y1="{axis_y}" x2="{x0 + plot_w}" y2="{axis_y}" stroke="#333333"/>')
    parts.append(f'<text x="{x0 + plot_w / 2:.1f}" y="{axis_y + 30}" text-anchor="middle">{escape(unit)}</text>')
    comparator = next((p for p in points if p.comparator and p.value is not None), None)
    if comparator:
        cx = x(comparator.value)
        parts.append(f'<line x1="{cx:.1f}" y1="{first - 4}" x2="{cx:.1f}" y2="{axis_y}" stroke="{COMPARATOR}" '
                     'stroke-dasharray="5 4"/>')
    for i, p in enumerate(points):
        y = first + ROW * i + ROW / 2
        weight = ' font-weight="bold"' if p.comparator or p.total else ""
        parts.append(f'<text x="{LABEL_W}" y="{y + 4.5:.1f}" text-anchor="end"{weight}>{escape(p.label)}</text>')
        parts.append(f'<text x="{VALUE_X}" y="{y + 4.5:.1f}" text-anchor="end"{weight}>{escape(p.text)}</text>')
        if p.interval:
            parts.append(f'<text x="{INTERVAL_X}" y="{y + 4.5:.1f}" text-anchor="end">{escape(p.interval)}</text>')
        if p.value is None:
            continue
        if p.lower is not None and p.upper is not None:
            parts.append(f'<line x1="{x(p.lower):.1f}" y1="{y:.1f}" x2="{x(p.upper):.1f}" y2="{y:.1f}" '
                         f'stroke="{colour_of(p)}" stroke-width="2"/>')
            for end in (p.lower, p.upper):
                parts.append(f'<line x1="{x(end):.1f}" y1="{y - 3.5:.1f}" x2="{x(end):.1f}" y2="{y + 3.5:.1f}" '
                             f'stroke="{colour_of(p)}" stroke-width="1.5"/>')
        parts.append(marker(x(p.value), y, p))
    parts.append("</svg>")
    return "\n".join(parts)


@dataclass(frozen=True)
class Panel:
    title: str
    points: list[Point]


def small_multiples(panels: list[Panel], unit: str, alt: str, chart_id: str, columns: int = 3,
                    cap: float | None = None) -> str:
    """One small chart per ethnic group on a shared axis starting at zero, so panels compare at a glance."""
    top = axis_ticks([p for panel in panels for p in panel.points], cap)[-1]
    rows = max(len(p.points) for p in panels)
    cell_w, label_w, pad = WIDTH / columns, 62, 12
    cell_h = 24 + rows * 22 + 30
    n_rows = math.ceil(len(panels) / columns)
    height = n_rows * cell_h + 26
    parts = _svg_open(WIDTH, height, alt, chart_id)
    for k, panel in enumerate(panels):
        ox, oy = (k % columns) * cell_w, (k // columns) * cell_h
        x0, plot_w = ox + label_w, cell_w - label_w - pad - 8
        axis_y = oy + 24 + rows * 22
        x = lambda v: x0 + plot_w * min(v, top) / top  # noqa: E731
        parts.append(f'<text x="{ox + 4:.1f}" y="{oy + 15:.1f}" font-weight="bold">{escape(panel.title)}</text>')
        for v in (0, top / 2, top):  # the middle gridline unlabelled: three labels would collide
            parts.append(f'<line x1="{x(v):.1f}" y1="{oy + 22:.1f}" x2="{x(v):.1f}" y2="{axis_y:.1f}" stroke="{GRID}"/>')
        for v, anchor in ((0, "start"), (top, "end")):
            parts.append(f'<text x="{x(v):.1f}" y="{axis_y + 16:.1f}" text-anchor="{anchor}">{tick(v)}</text>')
        parts.append(f'<line x1="{x0:.1f}" y1="{axis_y:.1f}" x2="{x0 + plot_w:.1f}" y2="{axis_y:.1f}" stroke="#333333"/>')
        for i, p in enumerate(panel.points):
            y = oy + 24 + 22 * i + 11
            parts.append(f'<text x="{x0 - 6:.1f}" y="{y + 4.5:.1f}" text-anchor="end">{escape(p.label)}</text>')
            if p.value is None:
                parts.append(f'<text x="{x0 + 4:.1f}" y="{y + 4.5:.1f}">{escape(p.text)}</text>')
                continue
            if p.lower is not None and p.upper is not None:
                parts.append(f'<line x1="{x(p.lower):.1f}" y1="{y:.1f}" x2="{x(p.upper):.1f}" y2="{y:.1f}" '
                             f'stroke="{colour_of(p)}" stroke-width="2"/>')
            parts.append(marker(x(p.value), y, p, 5.5))
    parts.append(f'<text x="{WIDTH / 2:.1f}" y="{height - 6:.1f}" text-anchor="middle">{escape(unit)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
