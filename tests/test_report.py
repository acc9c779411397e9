"""The published board papers (PDF): short, accessible (PDF/UA checker, structure tree), banner on
every page, laid out without half-empty pages, byte-identical across runs, and a short PDF for a
withheld provider. The numbers are compared with indicators.csv in test_edition.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import publish_sample, sample_years
from pipeline.config import AuditConfig
from pipeline.quality import Decision
from pipeline.report.render import render_pdf
from pipeline.report.viewmodel import DOMAINS, provider_context

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed (make test installs it)")


@pytest.fixture(scope="module")
def year() -> str:
    return sample_years()[-1]


@pytest.fixture(scope="module")
def published(published_sample) -> Path:
    return published_sample


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_every_pdf_passes_the_pdfua_checker_with_no_finding(published):
    pdfs = sorted((published / "reports").glob("*.pdf"))
    assert len(pdfs) >= 4
    pdfua = Path(sys.executable).parent / "pdfua"
    result = subprocess.run([str(pdfua), "check", "--certain-only", *map(str, pdfs)], capture_output=True, text=True)
    results = re.findall(r"result: ([^\n]*?)\s+errors=(\d+) warnings=(\d+)", result.stdout)
    assert len(results) == len(pdfs), result.stdout[-3000:]
    assert all(r == ("PASS (no findings)", "0", "0") for r in results), result.stdout[-3000:]
    assert not re.search(r"\[(WARN|ERROR) *\]", result.stdout), result.stdout[-3000:]


def test_board_papers_are_at_most_16_pages_and_all_at_most_24(published):
    for pdf in sorted((published / "reports").glob("*.pdf")):
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                                 text=True, check=True).stdout).group(1))
        assert pages <= (24 if pdf.stem == "ALL" else 16), (pdf.name, pages)


def test_synthetic_banner_on_every_page(published):
    pages = _text(published / "reports" / "ALL.pdf").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 2
    assert all("SYNTHETIC DATA" in p for p in pages)


def test_pdf_text_is_never_below_10pt(published):
    """Every glyph, including chart text inside the SVGs, prints at 10 pt or more."""
    sizes = subprocess.run(["pdftotext", "-bbox", str(published / "reports" / "ALL.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    heights = [float(a) - float(b) for b, a in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', sizes)]
    # pdftotext's box is the font's ascent+descent, about 1.36 em for Noto Sans: 10 pt text is ~13.6 pt tall.
    assert heights and min(heights) >= 10 * 1.3, min(heights)


def test_no_text_runs_past_the_page_margins(published):
    """Tables and charts fit the text column: no word of any report lies outside the A4 page's
    16 mm side margins (an over-wide table pushes its last column off the right edge)."""
    left, right = 16 / 25.4 * 72, (210 - 16) / 25.4 * 72
    for pdf in sorted((published / "reports").glob("*.pdf")):
        boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        words = re.findall(r'xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<', boxes)
        outside = [(w, float(a), float(b)) for a, b, w in words if float(a) < left - 1 or float(b) > right + 1]
        assert words and not outside, (pdf.name, outside[:5])


def test_every_glyph_comes_from_the_shipped_fonts(published):
    """The shipped Noto Sans is cut down to Latin, punctuation and symbols (subsetting the full
    font cost each report about a second): any character it lacks would fall back to a system
    font, which pdffonts would list. Only the two shipped faces, embedded, may appear."""
    for pdf in sorted((published / "reports").glob("*.pdf")):
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        fonts = [line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()]
        assert fonts and set(fonts) <= {"Noto-Sans", "Noto-Sans-Bold"}, (pdf.name, listing)
        assert all(" yes yes " in line for line in listing.splitlines()[2:]), (pdf.name, listing)


def test_both_editions_data_and_data_docs_are_byte_identical_across_runs(published, tmp_path, year):
    """Everything but the manifest (which names the run's extracts folder) is the same bytes: the
    PDFs, the HTML edition, the data files with the spreadsheet, and the data docs."""
    again = publish_sample(tmp_path / "out", tmp_path / "work", year)
    folders = ("reports", "html", "data", "validation")
    files = sorted(p.relative_to(published) for folder in folders for p in (published / folder).rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".html"]) >= 5
    assert {f.name for f in files} >= {f"{year}-audit.xlsx", "datapackage.json", "indicators.parquet", "gx_index.html"}
    assert files == sorted(p.relative_to(again) for folder in folders for p in (again / folder).rglob("*") if p.is_file())
    for name in files:
        assert (published / name).read_bytes() == (again / name).read_bytes(), name


def test_withheld_provider_gets_a_short_pdf_saying_why(tmp_path):
    config = AuditConfig()
    context = provider_context(
        provider="RXX", provider_name="Example Trust", year="2024-25", rows=pd.DataFrame(columns=[
            "indicator_id", "statistic", "breakdown", "group_code", "significance", "comparator_ratio"]),
        decision=Decision("RXX", "withhold", 0.31, "ethnicity is validly recorded for 31.0% of persons"),
        quality=None, catalogue=[],
        params={"publication_date": "2025-07-15", "code_version": "test", "synthetic": False,
                "config": config.as_dict()},
        inputs=[],
    )
    pdf = render_pdf(context, tmp_path / "RXX.pdf", "2025-07-15")
    text = _text(pdf)
    assert "withheld" in text and "31.0%" in text
    assert "SYNTHETIC" not in text
    assert len([p for p in text.split("\f") if p.strip()]) <= 2


def test_every_summary_covers_detention_and_restrictive_practice_with_both_rates(published):
    """issue 13: every provider's summary says something about detention and restrictive practice
    (a finding, or why there is none), and every finding gives both groups' values and the ratio."""
    for pdf in sorted((published / "reports").glob("*.pdf")):
        # the Summary section, not its line in the contents: from the heading alone on its line
        summary = re.split(r"(?m)^\s*Summary\s*$", _text(pdf), maxsplit=1)[1]
        summary = re.split(r"(?m)^\s*About this audit\s*$", summary, maxsplit=1)[0]
        flat = " ".join(summary.split())
        for measure in ("Detentions under the Mental Health Act:", "People subject to restrictive intervention:",
                        "Restrictive interventions per occupied bed days:"):
            assert measure in flat, (pdf.name, measure)
        bullets = [b for b in flat.split("• ")[1:] if "times the White British" in b]
        assert bullets, pdf.name
        for b in bullets:
            assert "compared with" in b and "95% CI" in b, (pdf.name, b[:120])


def test_a_white_british_count_hidden_as_a_complement_says_so_in_the_pdf(tmp_path):
    """When White British is the only cell that can protect a small count, the report says the
    comparison is missing because White British is hidden to protect a small count, not 'too few people'."""
    from pipeline import disclosure, estimates
    from pipeline.indicators import load_catalogue
    from builders import counts

    frames = [counts({"A": a, "B": 20, "M": 50, "N": 40}, provider=p) for p, a in (("P1", 5), ("P2", 5), ("P3", 2))]
    frames.append(counts({"A": 12, "B": 60, "M": 150, "N": 120}, provider="ALL"))
    published = estimates.published_table(disclosure.control(pd.concat(frames, ignore_index=True)), None, "A")
    rows = published[published["provider"] == "ALL"]
    assert (rows["suppressed"] == f"nhs: {disclosure.COMPARATOR_HIDDEN_RULE}").any()
    co01 = [i for i in load_catalogue() if i.id == "CO01"]
    context = provider_context(
        provider="ALL", provider_name="All providers", year="2024-25", rows=rows,
        decision=Decision("ALL", "publish", 0.95, "ethnicity is validly recorded for 95.0% of persons"), quality=None,
        catalogue=co01, params={"publication_date": "2025-07-15", "code_version": "test", "synthetic": True,
                                "config": AuditConfig().as_dict()}, inputs=[])
    text = " ".join(_text(render_pdf(context, tmp_path / "ALL.pdf", "2025-07-15")).split())
    assert "White British figures are hidden to protect a small count in another group" in text
    assert "too few people" not in text.lower()


def test_the_sample_reports_show_the_trend_of_the_gaps(published):
    """issue 13: the five-year sample's trend.csv covers every year and key measure, and each board
    paper shows the trend section with a sentence per key measure whose verdict is trend.csv's."""
    from conftest import sample_years
    from pipeline.indicators import load_catalogue

    trend = pd.read_csv(published / "data" / "trend.csv", dtype={"provider": str, "year": str})
    keys = [i for i in load_catalogue() if i.trend]
    assert sorted(trend["year"].unique()) == sample_years() and len(sample_years()) == 5
    assert set(trend["indicator_id"]) == {i.id for i in keys}
    assert trend["gap_trend"].isin(["narrowing", "widening", "no significant change"]).any()
    for pdf in sorted((published / "reports").glob("*.pdf")):
        text = " ".join(_text(pdf).split())
        section = text.split("The trend of the main gaps", 2)[-1].split("Data quality", 1)[0]
        for ind in keys:
            assert f"{ind.title}:" in section, (pdf.name, ind.id)
        tested = trend[(trend["provider"] == pdf.stem) & (trend["gap_trend"] != "") & trend["gap_trend"].notna()]
        if len(tested):  # 'has not changed significantly', 'has narrowed', 'has widened'
            assert "has not changed significantly" in section or "has narrowed" in section or "has widened" in section
