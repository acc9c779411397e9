"""Draw a chart's SVG text a string at a time, not a letter at a time.

WeasyPrint 70 lays out and draws every letter of an SVG ``<text>`` on its own (a Pango layout per
letter, so that per-letter ``x``/``dx``/``rotate`` lists work). The report's charts never use
those: each label is one ``<text x=".." y="..">`` with an anchor and a weight. Drawing such a label
as one laid-out string gives the same glyphs, kerned as the body text is, and took about a third
of a board paper's PDF time letter by letter (docs/design.md, "Performance").

:func:`install` puts :func:`text` in WeasyPrint's place for the ``text`` and ``tspan`` tags; any
node using a per-letter feature is handed to WeasyPrint's own function unchanged.
"""

from __future__ import annotations

import sys
from math import inf

import weasyprint.svg as weasy_svg
from weasyprint.svg.bounding_box import extend_bounding_box
from weasyprint.svg.utils import normalize, size

_weasy_text_module = sys.modules["weasyprint.svg.text"]
_weasy_text = _weasy_text_module.text
# Attributes that place, turn or stretch single letters: a node with any of them is drawn by WeasyPrint.
PER_LETTER = ("dx", "dy", "rotate", "letter-spacing", "textLength", "lengthAdjust")


def install() -> None:
    """Draw plain SVG text with :func:`text`. WeasyPrint's SVG drawing looks the function up in
    its module (``TAGS`` and the text-anchor test compare against the name ``text``), so both
    are replaced."""
    weasy_svg.TAGS["text"] = weasy_svg.TAGS["tspan"] = text
    weasy_svg.text = text


def _one_value(node, name: str) -> bool:
    value = node.attrib.get(name)
    return value is None or len(normalize(value).strip().split(" ")) == 1


def plain(node) -> bool:
    """Whether a text node can be drawn as one string: text, at most one x and one y, and none of
    the per-letter attributes."""
    return bool(node.text) and _one_value(node, "x") and _one_value(node, "y") and not any(
        name in node.attrib for name in PER_LETTER)


def text(svg, node, font_size) -> None:
    """WeasyPrint's ``svg.text.text`` for a plain node, with one layout for the whole string."""
    if not plain(node):
        return _weasy_text(svg, node, font_size)
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.text.line_break import split_first_line

    style = _weasy_text_module.Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    style["font_weight"] = _weight(node.get("font-weight", 400))
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)

    if "x" in node.attrib:
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
        svg.cursor_d_position[0] = 0
    else:
        x = svg.cursor_position[0]
    if "y" in node.attrib:
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
        svg.cursor_d_position[1] = 0
    else:
        y = svg.cursor_position[1]
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + _y_align(node, font_size, height)
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box, ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height)))

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = _weasy_text_module.TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(svg.stream, text_box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


def _weight(value) -> int:
    if value == "normal":
        return 400
    if value == "bold":
        return 700
    try:
        return int(value)
    except ValueError:
        return 400


def _y_align(node, font_size: float, height: float) -> float:
    """WeasyPrint's vertical alignment of SVG text (its ascent and descent are fixed fractions)."""
    ascent, descent = font_size * .8, font_size * .2
    display_anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        return -height / 2
    if display_anchor == "top":
        return 0
    if display_anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        return ascent
    if baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        return -descent
    return 0
