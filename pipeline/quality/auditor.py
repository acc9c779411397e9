"""The auditor's index of the data docs (``validation/index.html``): per provider, the publication
decision, the rule and threshold that decided it, the measured share of valid ethnic categories with
its 95% interval, and every DQ01-DQ03 check with its result in words and a link to Great
Expectations' page for its suite (one page per suite covers every provider and lists those that
failed each check).

Everything on the page is read from the published data_quality.csv (the shares and intervals from
its published counts), so the page shows no number the table does not. Static HTML in the HTML
edition's look (NHS.UK frontend, no script), checked by axe-core in the tests.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import stats
from pipeline.config import AuditConfig
from pipeline.quality.datadocs import GX_INDEX
from pipeline.quality.rules import SUITES, rules
from pipeline.report.format import SUPPRESSED, fmt_count, fmt_date, fmt_interval, fmt_number, fmt_share, missing

DECISIONS = {"publish": "Published", "warn": "Published with a warning", "withhold": "Withheld"}
RESULTS = {"pass": "Pass", "warn": "Fail: the report carries a warning", "fail": "Fail: the report is withheld"}
CHECKED = ("pass", "warn", "fail")
KEYS = ["measure", "table", "field", "check"]


def gx_pages(docs: Path) -> dict[str, str]:
    """Suite -> Great Expectations' result page for it (every provider's), relative to ``docs``."""
    pages = {}
    for page in sorted((docs / "validations").glob("*/*/*/*.html")):
        suite = page.parts[-4]
        if suite in pages:
            raise RuntimeError(f"{docs} holds more than one Great Expectations run of {suite}")
        pages[suite] = page.relative_to(docs).as_posix()
    return pages


def share(row: pd.Series) -> dict:
    """The published share of a DQ01 row as a percentage, with its Wilson 95% interval from the
    published count and total (1 decimal place), or '*' where a count it rests on is hidden."""
    if missing(row["count"]) or missing(row["total"]) or float(row["total"]) <= 0:
        return {"percent": SUPPRESSED, "interval": "", "count": fmt_count(row["count"]) if not missing(row["count"]) else
                SUPPRESSED, "total": fmt_count(row["total"]) if not missing(row["total"]) else SUPPRESSED}
    lower, upper = stats.wilson_ci(float(row["count"]), float(row["total"]))
    return {"percent": fmt_number(100 * float(row["count"]) / float(row["total"])),
            "interval": fmt_interval(100 * lower, 100 * upper), "count": fmt_count(row["count"]),
            "total": fmt_count(row["total"])}


def deciding_rule(gate: pd.Series, valid: pd.Series | None, checks: pd.DataFrame, config: AuditConfig) -> str:
    """Which rule and threshold decided the provider's report, in a sentence."""
    empty = checks[(checks["check"] == "present") & (checks["result"] == "fail")]
    if len(empty):
        tables = " and ".join(empty["table"])
        return (f"{tables} {'has' if len(empty) == 1 else 'have'} no records for this provider: a report needs them, "
                "so it is withheld (rule: withhold if a required table has none).")
    warn, withhold = fmt_share(config.ethnicity_warn_below), fmt_share(config.ethnicity_withhold_below)
    measured = "a share resting on a hidden count, judged on the most favourable value the published counts allow"
    if valid is not None and not missing(valid["percent"]):
        measured = f"{fmt_number(valid['percent'])}%"
    rule = "DQ01, valid ethnic category (A to S) among persons in the patient index"
    if gate["result"] == "withhold":
        return f"{rule}: {measured}, below the {withhold} below which the report is withheld."
    if gate["result"] == "warn":
        return (f"{rule}: {measured}, below the {warn} below which the report carries a warning "
                f"(it would be withheld below {withhold}).")
    return f"{rule}: {measured}, at or above the {warn} below which the report would carry a warning."


def view(quality: pd.DataFrame, docs: Path, config: AuditConfig) -> list[dict]:
    """Every provider (ALL last) with its decision, deciding rule, share and checks."""
    suite_of = {(r.measure, r.table, r.field, r.check): r.suite for r in rules(config)}
    pages = gx_pages(docs)
    providers = list(dict.fromkeys(quality["provider"]))
    providers = [p for p in providers if p != "ALL"] + (["ALL"] if "ALL" in providers else [])
    out = []
    for provider in providers:
        mine = quality[quality["provider"] == provider]
        gate = mine[mine["measure"] == "GATE"].iloc[0]
        valid = mine[(mine["measure"] == "DQ01") & (mine["check"] == "valid")]
        valid = valid.iloc[0] if len(valid) else None
        checks = mine[mine["result"].isin(CHECKED)]
        rows = []
        for _, r in checks.iterrows():
            suite = suite_of.get(tuple(r[KEYS]), "")
            rows.append({
                "measure": r["measure"], "table": r["table"], "field": r["field"], "detail": r["detail"],
                "percent": SUPPRESSED if missing(r["percent"]) and not missing(r["suppressed"]) and r["suppressed"]
                else ("" if missing(r["percent"]) else fmt_number(r["percent"])),
                "threshold": r["threshold"], "result": RESULTS[r["result"]], "passed": r["result"] == "pass",
                "link": pages.get(suite, ""), "suite": SUITES.get(suite, suite),
            })
        name = gate.get("provider_name", provider)
        out.append({
            "code": provider, "name": "" if missing(name) else name, "anchor": f"provider-{provider.lower()}",
            "decision": DECISIONS[gate["result"]], "decided": gate["result"], "reason": gate["detail"],
            "rule": deciding_rule(gate, valid, checks, config),
            "share": share(valid) if valid is not None else None,
            "failed": sum(not r["passed"] for r in rows), "checks": rows,
            "suites": [{"name": SUITES[s], "link": pages[s]} for s in SUITES if s in pages],
        })
    return out


def write_index(docs: Path, quality: pd.DataFrame, *, year: str, publication_date: str, synthetic: bool,
                version: str, config: AuditConfig) -> Path:
    """``<docs>/index.html`` (and the HTML edition's stylesheets and fonts under ``<docs>/assets``)."""
    from pipeline.report.edition import copy_assets
    from pipeline.report.render import environment

    copy_assets(docs)
    page = environment().get_template("auditor_index.html.j2").render(
        lang="en-GB", page_title=f"Data quality and publication decisions, {year}: the auditor's index", year=year,
        publication_date=fmt_date(publication_date), run_date=publication_date, version=version, synthetic=synthetic,
        root="..", assets="assets", home="index.html", providers=view(quality, docs, config),
        thresholds={"warn": fmt_share(config.ethnicity_warn_below),
                    "withhold": fmt_share(config.ethnicity_withhold_below),
                    "field": fmt_share(config.field_failing_warn_above)},
        gx_index=GX_INDEX, disclosure_profile=config.disclosure_profile)
    path = docs / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
