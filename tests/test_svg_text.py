"""The charts' SVG labels drawn a string at a time (pipeline/report/svg_text.py) land where
WeasyPrint's own letter-by-letter drawing puts them, with the same words, in a real PDF."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from weasyprint import HTML
from weasyprint import svg as weasy_svg

from pipeline.report import svg_text

LABELS = [("start", 10, "White British"), ("end", 300, "Black or Black British"), ("middle", 200, "per 100,000 people"),
          ("end", 300, "1,234.5"), ("start", 10, "Ünïcödé labels ‘quoted’")]


def _page(weight: str = "") -> str:
    texts = "".join(f'<text x="{x}" y="{30 + 20 * i}" text-anchor="{anchor}"{weight} font-size="10">{label}</text>'
                    for i, (anchor, x, label) in enumerate(LABELS))
    return f'<html lang="en"><body><svg width="320" height="140" xmlns="http://www.w3.org/2000/svg">{texts}</svg></body></html>'


def _words(pdf: Path) -> list[tuple[str, float, float, float]]:
    """Each word pdftotext finds, with its left, right and baseline-ish bottom (points)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [(w, float(x1), float(x2), float(y2))
            for x1, _y1, x2, y2, w in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', html)]


def _render(tmp_path: Path, name: str, page: str) -> list[tuple[str, float, float, float]]:
    target = tmp_path / f"{name}.pdf"
    HTML(string=page).write_pdf(target)
    return _words(target)


@pytest.fixture
def weasyprint_text():
    """WeasyPrint's own text drawing, put back after the test."""
    before = dict(weasy_svg.TAGS), weasy_svg.text
    yield
    weasy_svg.TAGS.update(before[0])
    weasy_svg.text = before[1]


@pytest.mark.parametrize("weight", ["", ' font-weight="bold"'])
def test_labels_land_where_weasyprint_puts_them_letter_by_letter(tmp_path, weasyprint_text, weight):
    weasy_svg.TAGS["text"] = weasy_svg.TAGS["tspan"] = svg_text._weasy_text
    weasy_svg.text = svg_text._weasy_text
    theirs = _render(tmp_path, "letters", _page(weight))
    svg_text.install()
    ours = _render(tmp_path, "strings", _page(weight))
    assert [w for w, *_ in ours] == " ".join(label for *_, label in LABELS).split()
    assert [w for w, *_ in theirs] == [w for w, *_ in ours]
    for (word, *a), (_, *b) in zip(theirs, ours):
        # Kerning within a string may move a right-aligned word's start by a fraction of a point.
        assert all(abs(p - q) < 1.0 for p, q in zip(a, b)), (word, a, b)


def test_per_letter_features_are_left_to_weasyprint():
    from xml.etree import ElementTree

    def node(markup: str):
        return ElementTree.fromstring(markup)

    assert svg_text.plain(node('<text x="1" y="2">A label</text>'))
    assert svg_text.plain(node('<text>A label</text>'))
    for markup in ('<text x="1 2 3" y="2">abc</text>', '<text x="1" y="2" dx="3">abc</text>',
                   '<text x="1" y="2" rotate="90">abc</text>', '<text x="1" y="2" textLength="40">abc</text>',
                   '<text x="1" y="2" letter-spacing="2">abc</text>', '<text x="1" y="2"></text>'):
        assert not svg_text.plain(node(markup)), markup
