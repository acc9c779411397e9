"""The HTML edition in a real browser (headless Chromium, offline): zero axe-core violations of the
WCAG 2.2 A and AA rules on every page, no request outside the publication, every chart and table
shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import Browser, chromium

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium not installed (make test installs it)")


@pytest.fixture
def browser(published_sample):
    with Browser(published_sample) as b:
        yield b


def test_every_page_has_no_axe_violation_and_makes_no_request_outside(browser, published_sample):
    pages = sorted((published_sample / "html").rglob("*.html"))
    assert len(pages) >= 25
    for path in pages:
        page = browser.open(path)
        violations = browser.axe(page)
        assert violations == [], (path.relative_to(published_sample), violations)
        shown = page.evaluate("""() => ({
            svgs: [...document.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 100).length,
            allSvgs: document.querySelectorAll('svg').length,
            tables: [...document.querySelectorAll('table')].filter(t => t.getBoundingClientRect().height > 0).length,
            allTables: document.querySelectorAll('table').length,
            styled: getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor,
            font: [...document.fonts].some(f => f.family.includes('Noto Sans') && f.status === 'loaded')})""")
        assert shown["svgs"] == shown["allSvgs"] and shown["tables"] == shown["allTables"], (path, shown)
        assert shown["styled"] == "rgb(0, 94, 184)" and shown["font"], (path, shown)  # NHS blue: the stylesheet loaded
        page.close()
    assert browser.blocked == [] and browser.failed == []


def test_the_browser_blocks_and_records_requests_outside_the_folder(tmp_path):
    """The helper can fail: a page that asks for a CDN script and a file outside its folder has those
    requests blocked and recorded, a missing file recorded, and axe finds an image without alt text."""
    root, outside = tmp_path / "publication", tmp_path / "elsewhere.css"
    root.mkdir()
    outside.write_text("body { color: red; }")
    page = root / "index.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title>'
                    '<link rel="stylesheet" href="../elsewhere.css"><link rel="stylesheet" href="missing.css">'
                    '<script src="https://cdn.example.org/lib.js"></script></head>'
                    '<body><main><h1>Page</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>')
    with Browser(root) as browser:
        violations = browser.axe(browser.open(page))
        blocked, failed = list(browser.blocked), list(browser.failed)
    assert [v["id"] for v in violations] == ["image-alt"]
    assert Path(outside).as_uri() in blocked and "https://cdn.example.org/lib.js" in blocked
    assert set(failed) == {(root / "missing.css").as_uri()}


@pytest.mark.parametrize("width", [1280, 375])
def test_short_labels_and_numbers_in_tables_never_break_across_lines(published_sample, width):
    """An age band ('16-17'), a sex or a number in a table is read as one token: at a desktop and at
    a phone's width no such cell breaks its text over two lines (Chromium breaks after a hyphen).
    A checksum's cell (class hash) is meant to break anywhere on a phone, and is left out."""
    pages = sorted((published_sample / "html").glob("*/index.html"))
    checked = 0
    with Browser(published_sample, width=width) as browser:
        for path in pages:
            page = browser.open(path)
            cells = page.evaluate("""() => [...document.querySelectorAll('table td:not(.hash)')]
                .filter(td => td.innerText.trim() && !/\\s/.test(td.innerText.trim()))
                .map(td => { const r = document.createRange(); r.selectNodeContents(td);
                             const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                             return [td.innerText.trim(), lines.size]; })""")
            checked += len(cells)
            wrapped = sorted({text for text, lines in cells if lines > 1})
            assert wrapped == [], (path.relative_to(published_sample), width, wrapped)
            page.close()
    assert checked > 1000  # the cells were found: every report's tables
