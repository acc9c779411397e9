"""The HTML edition of the sample's publication, read as files: its pages, their structure, their
links, the manifest; and both editions' numbers compared with indicators.csv."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from pipeline.indicators import load_catalogue
from pipeline.report.summary import headline_series

LABELS = {"A": "White British", "WHITE": "White", "MIXED": "Mixed", "ASIAN": "Asian or Asian British",
          "BLACK": "Black or Black British", "OTHER": "Other ethnic groups", "TOTAL": "All people"}


class Page(HTMLParser):
    """An HTML page read for the tests: its headings, links, ids, table headers, and every table
    whose data-* attributes name the published rows its cells show."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.th_scopes: list[str | None] = []
        self.tables: list[dict] = []
        self.cells: list[dict] = []  # {table, row, column, text}
        self._table: dict | None = None
        self._row: dict = {}
        self._cell: dict | None = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "th":
            self.th_scopes.append(a.get("scope"))
        if tag == "table":
            self._table = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self.tables.append(self._table)
        if tag == "tr":
            self._row = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
        if tag == "td" and "data-column" in a and self._table is not None:
            self._cell = {"table": self._table, "row": self._row, "column": a["data-column"], "text": ""}

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._cell["text"] = self._cell["text"].replace("\u00a0", " ").strip()
            self.cells.append(self._cell)
            self._cell = None
        if tag == "table":
            self._table = None


@pytest.fixture(scope="module")
def published(published_sample) -> Path:
    return published_sample


@pytest.fixture(scope="module")
def csv(published) -> pd.DataFrame:
    frame = pd.read_csv(published / "data" / "indicators.csv", dtype={"group_code": str, "suppressed": str},
                        keep_default_na=True)
    return frame.fillna({"intervention_type": "", "subgroup": ""})


def _pages(published: Path) -> list[Path]:
    return sorted((published / "html").rglob("*.html"))


def test_edition_has_a_landing_page_a_page_per_report_and_per_indicator(published):
    html = published / "html"
    reports = sorted(p.stem for p in (published / "reports").glob("*.pdf"))
    assert (html / "index.html").is_file()
    assert sorted(p.parent.name for p in html.glob("*/index.html")) == reports
    assert sorted(p.stem for p in (html / "indicators").glob("*.html")) == sorted(i.id for i in load_catalogue())
    landing = Page(html / "index.html")
    for code in reports:
        assert f"{code}/index.html" in landing.links and f"../reports/{code}.pdf" in landing.links or code == "ALL"
    text = (html / "index.html").read_text()
    assert re.search(r"Published( with a warning)?|Withheld", text)


def test_every_page_has_one_h1_ordered_headings_scoped_headers_and_a_skip_link(published):
    for path in _pages(published):
        page = Page(path)
        text = path.read_text()
        assert page.headings[0] == 1 and page.headings.count(1) == 1, path
        assert all(b <= a + 1 for a, b in zip(page.headings, page.headings[1:])), (path, page.headings)
        assert all(scope in ("col", "row") for scope in page.th_scopes), path
        assert 'href="#maincontent"' in text and 'id="maincontent"' in text, path
        assert len(page.ids) == len(set(page.ids)), (path, [i for i in page.ids if page.ids.count(i) > 1][:3])
        assert "SYNTHETIC DATA" in text, path
        assert "<script" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', ""), path
        assert "https://" not in text, path


def test_every_chart_is_inline_svg_with_a_text_alternative_and_a_table(published):
    text = (published / "html" / "RRJ" / "index.html").read_text()
    charts = re.findall(r'<svg [^>]*role="img" aria-labelledby="([^"]+)"[^>]*>\s*<title id="([^"]+)">([^<]+)</title>', text)
    assert len(charts) >= len(load_catalogue()) and all(a == b and alt.strip() for a, b, alt in charts)
    assert text.count("<svg") == len(charts)
    assert text.count("<table") >= len(charts)


def test_every_local_link_and_stylesheet_resolves_inside_the_publication(published):
    for path in _pages(published):
        page = Page(path)
        targets = page.links + re.findall(r'<link rel="stylesheet" href="([^"]+)"', path.read_text())
        for href in targets:
            if href.startswith("#"):
                assert href[1:] in page.ids, (path, href)
                continue
            file, _, anchor = href.partition("#")
            target = (path.parent / file).resolve()
            assert target.is_relative_to(published.resolve()) and target.is_file(), (path, href)
            if anchor:
                assert anchor in Page(target).ids, (path, href)


def test_edition_is_in_the_manifest_and_verifies(published):
    manifest = json.loads((published / "manifest.json").read_text())
    html = [p.relative_to(published).as_posix() for p in (published / "html").rglob("*") if p.is_file()]
    assert html and set(html) <= set(manifest["outputs"])
    mhaudit = Path(sys.executable).parent / "mhaudit"
    result = subprocess.run([str(mhaudit), "verify", str(published)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _expected(r: pd.Series, column: str) -> str | None:
    """How a published row's number must read; None where the edition may write '*' or 'n/a'."""
    if column == "interval":
        return "" if pd.isna(r["lower_95"]) else f"{r['lower_95']:,.1f} to {r['upper_95']:,.1f}"
    if column == "ratio_interval":
        return "" if pd.isna(r["ratio_lower_95"]) else f"{r['ratio_lower_95']:,.2f} to {r['ratio_upper_95']:,.2f}"
    value = r[{"ratio": "comparator_ratio"}.get(column, column)]
    if pd.isna(value):
        return None
    return {"numerator": f"{int(value):,}", "denominator": f"{int(value):,}", "value": f"{value:,.1f}",
            "ratio": f"{value:,.2f}"}[column]


def test_html_tables_show_the_numbers_of_indicators_csv(published, csv):
    """Every number in every data table of every report page is its row's number in indicators.csv
    ('*' or 'n/a' exactly where the CSV has none), and every ethnic group and total row of every
    statistic is shown."""
    columns = ["provider", "indicator_id", "statistic", "intervention_type", "breakdown", "group_code", "subgroup"]
    rows = csv.set_index(columns).sort_index()
    checked, shown = 0, set()
    for path in sorted((published / "html").glob("*/index.html")):
        for cell in Page(path).cells:
            t, row = cell["table"], cell["row"]
            provider = row.get("provider", t.get("provider"))
            key = (provider, t["indicator"], t["statistic"], t["intervention-type"], row.get("breakdown", t["breakdown"]),
                   row.get("group", "TOTAL"), row.get("subgroup", ""))
            r = rows.loc[key]
            assert isinstance(r, pd.Series), key
            want = _expected(r, cell["column"])
            if want is None:
                assert cell["text"] in ("*", "n/a", ""), (path.name, key, cell)
                if str(r["suppressed"]) not in ("nan", "") and cell["column"] in ("numerator", "value"):
                    assert cell["text"] in ("*", "n/a"), (path.name, key, cell)
            else:
                assert cell["text"] == want, (path.name, key, cell["column"], cell["text"], want)
            shown.add(key)
            checked += 1
    wanted = csv[csv["breakdown"].isin(["ethnic_group", "total"])]
    missing = {tuple(k) for k in wanted[columns].values} - shown
    assert checked > 5000 and not missing, sorted(missing)[:5]


def test_pdf_charts_show_the_numbers_of_indicators_csv(published, csv):
    """Every chart row of every board paper (group, value, 95% interval) is its row in
    indicators.csv for the indicator's headline statistic, and every such row is charted."""
    group = "|".join(re.escape(label) for label in sorted(LABELS.values(), key=len, reverse=True))
    line = re.compile(rf"^\s*({group})\s+([\d,.]+|\*|n/a)(?:\s+([\d,.]+ to [\d,.]+))?\s*$")
    for path in sorted((published / "reports").glob("*.pdf")):
        headline = {i.id: headline_series(i, csv[csv["provider"] == path.stem]) for i in load_catalogue()}
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout.replace("\u00a0", " ")
        printed = [m.groups() for m in map(line.match, text.splitlines()) if m]
        ours = pd.concat([s.of(csv[(csv["indicator_id"] == i) & (csv["provider"] == path.stem)])
                          for i, s in headline.items()])
        mine = ours[((ours["breakdown"] == "ethnic_group") & (ours["group_code"] != "NOT_KNOWN"))
                    | (ours["breakdown"] == "total")
                    | ((ours["breakdown"] == "ethnic_category") & (ours["group_code"] == "A"))]
        if mine.empty:  # a withheld provider's short PDF has no charts
            assert not printed, path.name
            continue
        expected = []
        for _, r in mine.iterrows():
            value = "*" if pd.isna(r["value"]) else f"{r['value']:,.1f}"
            interval = None if pd.isna(r["lower_95"]) else f"{r['lower_95']:,.1f} to {r['upper_95']:,.1f}"
            expected.append((LABELS[r["group_code"]], value, interval))
        # 'n/a' and '*' both mean no value: the CSV's suppressed column says which (cells.py).
        normalise = sorted((label, "*" if value == "n/a" else value, interval) for label, value, interval in printed)
        assert normalise == sorted(expected), path.name
        assert len(printed) == 7 * len(load_catalogue())
