"""The auditor's view of the sample's publication: Great Expectations' data docs work offline in a
real browser (headless Chromium, every request outside the publication blocked) and the auditor's
index (validation/index.html) shows each provider's decision, the rule that decided it, the share
with its interval and every check, with only data_quality.csv's numbers and no axe-core violation."""

from __future__ import annotations

import base64
import hashlib
import math
import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from browser import Browser, chromium
from pipeline.quality import datadocs

needs_browser = pytest.mark.skipif(chromium() is None, reason="chromium not installed (make test installs it)")


class Links(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])


@pytest.fixture(scope="module")
def docs(published_sample) -> Path:
    return published_sample / "validation"


@pytest.fixture(scope="module")
def quality(published_sample) -> pd.DataFrame:
    return pd.read_csv(published_sample / "data" / "data_quality.csv", dtype={"provider": str})


def _wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval, written out here rather than taken from pipeline.stats."""
    centre, spread = x + z * z / 2, z * math.sqrt(x * (n - x) / n + z * z / 4)
    return (centre - spread) / (n + z * z), (centre + spread) / (n + z * z)


def test_every_url_great_expectations_loads_is_vendored_with_the_same_bytes():
    """Each script, stylesheet and image GX's templates load from the internet is either replaced by
    a vendored copy or dropped as unused, and where GX pins a file by its hash the copy has that hash."""
    templates = resources.files("great_expectations") / "render" / "view" / "templates"
    text = "".join(p.read_text(encoding="utf-8") for p in Path(str(templates)).rglob("*.j2"))
    loaded = set(re.findall(r'src="(https?://[^"]+)"', text)) | set(re.findall(r'href="(https?://[^"]+\.css)"', text))
    assert len(loaded) >= 14 and loaded <= set(datadocs.OFFLINE)
    pinned = re.findall(r'src="(https?://[^"]+)" integrity="(sha384-[^"]+)"', text)
    assert len(pinned) == 2
    for url, integrity in pinned:
        vendored = datadocs.VENDOR.parent / "vendor" / datadocs.OFFLINE[url][0].removeprefix("vendor/")
        digest = "sha384-" + base64.b64encode(hashlib.sha384(vendored.read_bytes()).digest()).decode()
        assert digest == integrity, url
    for files in filter(None, datadocs.OFFLINE.values()):
        for name in files:
            assert name.startswith("images/") or (datadocs.VENDOR / name.removeprefix("vendor/")).is_file(), name
    licences = {p.name for p in datadocs.VENDOR.rglob("LICENCE-*.txt")}
    assert {"LICENCE-jquery.txt", "LICENCE-popper.txt", "LICENCE-bootstrap.txt", "LICENCE-bootstrap-table.txt",
            "LICENCE-bootstrap-datepicker.txt", "LICENCE-fontawesome.txt"} <= licences


def test_a_page_loading_an_unknown_url_is_refused():
    page = '<html><head><script src="https://cdn.example.org/new.js"></script></head><body></body></html>'
    with pytest.raises(RuntimeError, match="cdn.example.org/new.js"):
        datadocs.rewrite(page, "")


def test_no_data_docs_page_loads_anything_from_elsewhere(docs):
    pages = sorted(docs.rglob("*.html"))
    # the auditor's index, GX's index, and per suite its expectations and its results for every provider
    assert len(pages) == 2 + 2 * 4, pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tags = re.findall(r"<(?:script|link|img)\b[^>]*>", text)
        assert not [t for t in tags if re.search(r'(?:src|href)="(?:https?:)?//', t)], page
        assert "url('http" not in text and 'url("http' not in text, page
        assert '<html lang="en-GB">' in text, page


def test_auditor_index_shows_each_decision_rule_share_and_check_from_data_quality_csv(docs, quality):
    text = (docs / "index.html").read_text(encoding="utf-8")
    gate = quality[quality["measure"] == "GATE"].set_index("provider")
    valid = quality[(quality["measure"] == "DQ01") & (quality["check"] == "valid")].set_index("provider")
    words = {"publish": "Published", "warn": "Published with a warning", "withhold": "Withheld"}
    checked = quality[quality["result"].isin(["pass", "warn", "fail"])]
    suite_pages = {p.parts[-4]: p.relative_to(docs).as_posix() for p in docs.glob("validations/*/*/*/*.html")}
    for provider, row in gate.iterrows():
        section = text.split(f'id="provider-{provider.lower()}"', 1)[1].split("</section>", 1)[0]
        assert f"{words[row['result']]}: {row['detail']}" in section.replace("&#39;", "'"), provider
        count, total = valid.loc[provider, "count"], valid.loc[provider, "total"]
        lower, upper = _wilson(count, total)
        share = f"{100 * count / total:.1f}% (95% CI {100 * lower:.1f}\u00a0to {100 * upper:.1f})"
        assert share in section, (provider, share)
        assert f"{int(count):,} of {int(total):,} persons" in section
        rule = {"publish": "at or above the 90% below which", "warn": "below the 90% below which the report carries a "
                "warning", "withhold": "below the 50% below which the report is withheld"}[row["result"]]
        assert rule in section, provider
        mine = checked[checked["provider"] == provider]
        assert section.count("<tr") == len(mine) + 1, provider
        assert section.count(">Pass<") == (mine["result"] == "pass").sum()
        assert section.count(">Fail: ") == (mine["result"] != "pass").sum()
        for link in Links(section).links:
            assert (docs / link).is_file(), link
        gx = [l for l in Links(section).links if l.startswith("validations/")]
        # each suite's page once under the provider's validation results, and each check's suite's page
        checks = mine[mine["measure"] != "GATE"]  # (a warning decision is listed too, with no page)
        assert len(gx) == len(checks) + len(suite_pages) and set(gx) == set(suite_pages.values()), provider
    assert (docs / "gx_index.html").is_file() and 'href="gx_index.html"' in text
    assert "its page for a suite covers every provider" in text


def test_each_check_links_to_great_expectations_page_for_its_suite(docs, quality):
    """Each check's row on the auditor's index links to the page of the suite that validated it,
    which covers every provider and names the provider when it failed the check."""
    from pipeline.config import AuditConfig
    from pipeline.quality.auditor import view
    from pipeline.quality.rules import SUITES, rules

    suite_of = {(r.measure, r.table, r.field, r.check): r.suite for r in rules(AuditConfig())}
    pages = {p.parts[-4]: p.relative_to(docs).as_posix() for p in docs.glob("validations/*/*/*/*.html")}
    assert sorted(pages) == sorted(SUITES)
    quality = quality.fillna({"table": "", "field": ""})
    checked = quality[quality["result"].isin(["pass", "warn", "fail"]) & (quality["measure"] != "GATE")]
    suites = pd.Series([suite_of[k] for k in checked[["measure", "table", "field", "check"]].itertuples(index=False)],
                       index=checked.index)
    shown = {p["code"]: p for p in view(quality, docs, AuditConfig())}
    for provider, rows in checked.groupby("provider", sort=False):
        links = [c["link"] for c in shown[provider]["checks"] if c["measure"] != "GATE"]
        assert links == [pages[s] for s in suites[rows.index]], provider
    failed = checked[checked["result"] != "pass"]
    assert len(failed)
    for suite, page in pages.items():
        text = (docs / page).read_text(encoding="utf-8")
        for provider in set(failed["provider"][suites[failed.index] == suite]):
            assert re.search(rf">\s*(?:[A-Z0-9]+, )*{provider}(?:, [A-Z0-9]+)*(?:, \.\.\.)?\s*<", text), (suite, provider)


def test_auditor_index_numbers_are_published_numbers(docs, quality):
    """Every count on the auditor's index is '*', 0 or a multiple of 5 of at least 5, as published."""
    text = (docs / "index.html").read_text(encoding="utf-8")
    pairs = re.findall(r"([\d,]+) of ([\d,]+) persons", text)
    counts = [int(c.replace(",", "")) for pair in pairs for c in pair]
    assert counts and all(c == 0 or (c >= 5 and c % 5 == 0) for c in counts)


@needs_browser
def test_auditor_index_has_no_axe_violation_and_no_request_outside(published_sample, docs):
    with Browser(published_sample) as browser:
        page = browser.open(docs / "index.html")
        assert browser.axe(page) == []
        shown = page.evaluate("""() => ({rows: [...document.querySelectorAll('table tbody tr')]
            .filter(r => r.getBoundingClientRect().height > 0).length,
            styled: getComputedStyle(document.querySelector('.nhsuk-header')).backgroundColor})""")
        assert shown["rows"] > 50 and shown["styled"] == "rgb(0, 94, 184)"
        assert browser.blocked == [] and browser.failed == []


@needs_browser
def test_great_expectations_pages_render_their_tables_offline(published_sample, docs):
    """Every GX page, with every request outside the publication blocked: its tables are built (by
    bootstrap-table, from the vendored scripts), Font Awesome's icons and a word beside each show,
    and axe-core finds no violation (contrast, language and names fixed by datadocs.css and the
    rewrite)."""
    pages = [docs / datadocs.GX_INDEX] + sorted((docs / "expectations").glob("*.html")) + \
        sorted((docs / "validations").rglob("*.html"))
    with Browser(published_sample) as browser:
        for path in pages:
            page = browser.open(path)
            shown = page.evaluate("""() => ({
                scripts: Boolean(window.jQuery && window.jQuery.fn.bootstrapTable),
                rows: [...document.querySelectorAll('table tbody tr')].filter(r => r.getBoundingClientRect().height > 0).length,
                icons: [...document.querySelectorAll('i.fas')].filter(i => getComputedStyle(i, '::before').content !== 'none'
                                                                     && i.getBoundingClientRect().width > 0).length,
                words: [...document.querySelectorAll('.mhaudit-status')].map(s => s.textContent),
                font: [...document.fonts].some(f => f.family.includes('Font Awesome') && f.status === 'loaded')})""")
            assert shown["scripts"] and shown["rows"] >= 2, (path.name, shown)
            if "validations" in path.parts or path.name == datadocs.GX_INDEX:  # pass and fail, as icon and word
                assert shown["font"] and shown["icons"] > 0, (path.name, shown)
                assert set(shown["words"]) <= {"passed", "failed"} and shown["words"], (path.name, shown)
            assert browser.axe(page) == [], path.relative_to(docs)
            page.close()
        assert browser.blocked == [] and browser.failed == []
