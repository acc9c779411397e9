"""The board papers' structure and layout, read back from the published PDFs (pikepdf, pdftotext):
one structure element per table and section however the pages fall, every section opening with
its heading, figure boxes in points, contents with page numbers and links, no half-empty page
except before a new section."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from pipeline.report.viewmodel import DOMAINS

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed (make test installs it)")
HEADINGS = {"/H1", "/H2", "/H3", "/H4", "/H5", "/H6"}
SECTIONS = ["Summary", "About this audit", *DOMAINS.values(), "Compared with other providers",
            "The trend of the main gaps", "Data quality", "Methods, caveats, disclosure control and glossary"]


def _kids(element: pikepdf.Dictionary) -> list[pikepdf.Dictionary]:
    k = element.get("/K")
    items = list(k) if isinstance(k, pikepdf.Array) else [k] if k is not None else []
    return [x for x in items if isinstance(x, pikepdf.Dictionary) and x.get("/Type") not in ("/MCR", "/OBJR")]


def _tree(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    out, todo = [], list(_kids(pdf.Root.StructTreeRoot))
    while todo:
        element = todo.pop(0)
        out.append(element)
        todo[:0] = _kids(element)
    return out


def _descendants(element: pikepdf.Dictionary):
    for kid in _kids(element):
        yield kid
        yield from _descendants(kid)


@pytest.fixture(scope="module")
def pdfs(published_sample) -> list[Path]:
    return sorted((published_sample / "reports").glob("*.pdf"))


def test_every_table_is_one_element_with_its_caption_header_and_rows(pdfs, published_sample):
    """A table split across pages is one /Table (its caption, one /THead, its rows), never a
    caption-only /Table; so a board paper has exactly one /Table per table it prints."""
    split = 0
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            tables = [e for e in _tree(pdf) if e.get("/S") == "/Table"]
            for table in tables:
                roles = [str(k.get("/S")) for k in _kids(table)]
                assert roles[0] == "/Caption", (path.name, roles)
                assert roles.count("/THead") <= 1, (path.name, roles)
                assert any(d.get("/S") == "/TR" for d in _descendants(table)), (path.name, roles)
                pages = {d.Pg.objgen for d in _descendants(table) if "/Pg" in d}
                split += len(pages) > 1
            text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
            captions = sum(text.count(c) for c in ("Input files and their SHA-256", "Reasons for *", "DQ01 Ethnicity",
                                                    "DQ02 Valid", "DQ03 checks", "Providers outside the funnel"))
            assert len(tables) == captions, (path.name, len(tables), captions)
    assert split >= 1, "the sample should split at least one table across pages (ALL's comparison of providers)"


def test_every_split_table_cell_names_header_cells_that_exist(pdfs):
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            tree = _tree(pdf)
            ids = {str(e.ID) for e in tree if e.get("/S") == "/TH" and "/ID" in e}
            for cell in (e for e in tree if e.get("/S") == "/TD"):
                assert {str(h) for h in cell.A.get("/Headers", [])} <= ids, path.name


def test_every_section_and_article_starts_with_its_heading(pdfs):
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            for element in _tree(pdf):
                if element.get("/S") in ("/Sect", "/Art"):
                    first = _kids(element)[0]
                    assert first.get("/S") in HEADINGS, (path.name, str(first.get("/S")))


def test_marked_content_matches_the_parent_tree(pdfs):
    """Each page's marked content is numbered 0..n-1 and the parent tree has an entry for each (the
    repeated table header made an artifact, the rest renumbered)."""
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            nums = pdf.Root.StructTreeRoot.ParentTree.Nums
            for i, page in enumerate(pdf.pages):
                mcids = sorted(int(m) for m in re.findall(rb"/MCID (\d+)", page.Contents.read_bytes()))
                assert mcids == list(range(len(nums[2 * i + 1]))), (path.name, i + 1)


def test_figure_boxes_are_in_points_inside_their_page(pdfs):
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            figures = [e for e in _tree(pdf) if e.get("/S") == "/Figure"]
            assert len(figures) >= 20
            for figure in figures:
                x1, y1, x2, y2 = map(float, figure.A.BBox)
                page = pikepdf.Page(figure.Pg)
                _, _, width, height = map(float, page.mediabox)
                assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height, (path.name, x1, y1, x2, y2)
                assert figure.get("/Alt"), path.name


def test_contents_give_page_numbers_and_link_to_each_section(pdfs):
    for path in pdfs:
        cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
        entries = re.findall(r"^\s*\d+\.\s+(.+?)\s*\.{3,}\s*(\d+)\s*$", cover, flags=re.M)
        if "withheld" in cover.lower() and not entries:
            continue
        assert [t for t, _ in entries][:2] == ["Summary", "About this audit"], (path.name, cover)
        numbers = [int(n) for _, n in entries]
        assert numbers == sorted(numbers) and numbers[0] >= 2, (path.name, entries)
        with pikepdf.open(path) as pdf:
            for title, number in entries:
                text = subprocess.run(["pdftotext", "-f", number, "-l", number, str(path), "-"], capture_output=True,
                                      text=True, check=True).stdout
                assert title.replace("..", "") in text.replace("\n", " "), (path.name, title, number)
            links = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/Subtype") == "/Link"]
            targets = {str(a.Dest) for a in links if "/Dest" in a}
            names = list(pdf.Root.Names.Dests.Names)
            page_of = {str(names[i]): pdf.pages.index(pikepdf.Page(names[i + 1][0])) + 1
                       for i in range(0, len(names), 2)}
            assert len(targets) == len(entries), (path.name, targets, entries)
            assert sorted(page_of[t] for t in targets) == numbers, (path.name, targets, entries)
            uris = [str(a.A.URI) for a in links if a.get("/A", {}).get("/S") == "/URI"]
            assert uris == [f"../html/{path.stem}/index.html"], uris
            assert (path.parent / uris[0]).resolve().is_file()


def _words(path: Path) -> list[list[tuple[float, float, float, str]]]:
    """Each page's words as (yMin, yMax, xMin, word), from pdftotext's bounding boxes."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in boxes.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(x), w) for x, a, b, w in
                      re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', page)])
    return pages


def test_no_page_is_more_than_half_empty_except_before_a_new_section(pdfs):
    """A page whose text ends above its middle is the cover, the last page, or followed by a page
    that opens a new section."""
    height = 842.0
    top, bottom = 18 / 25.4 * 72, height - 16 / 25.4 * 72  # the page's text block (report.css @page)
    for path in pdfs:
        pages = _words(path)
        for n, words in enumerate(pages[1:-1], start=2):
            body = [w for w in words if top <= w[0] and w[1] <= bottom]
            if max(w[1] for w in body) >= (top + bottom) / 2:
                continue
            following = sorted(w for w in pages[n] if top <= w[0] and w[1] <= bottom)
            first_line = " ".join(w[3] for w in sorted((w for w in following if abs(w[0] - following[0][0]) < 2),
                                                       key=lambda w: w[2]))
            assert any(first_line.startswith(s) for s in SECTIONS), (path.name, n, first_line)
