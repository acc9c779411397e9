"""The data-quality gate: DQ01-DQ03 as Great Expectations suites, each run once over every
provider, the publish decision per provider, the published data_quality table and the data docs
site for auditors.

DuckDB aggregates every measure first (``measures``), so Great Expectations validates one small
table of percentages with a row per provider (``suites``) and never sees patient-level data; the
rules and their thresholds are data (``rules``); ``gate`` turns results into decisions and the
published table.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import disclosure
from pipeline.config import AuditConfig
from pipeline.quality.gate import (
    Decision, decide, decision_for, level_for_share, published_table, report_quality,
)
from pipeline.quality.measures import build_measures
from pipeline.quality.rules import SUITES, Rule, rules
from pipeline.quality.suites import rule_outcomes, run_suites

__all__ = ["Decision", "QualityRun", "SUITES", "decide", "decision_for", "level_for_share", "published_quality",
           "published_table",
           "report_quality", "rules", "save", "validate_quality"]


@dataclass
class QualityRun:
    """One year's validation: per-provider decisions, the results as validated and as published."""

    decisions: list[Decision]
    results: dict[str, dict[str, dict]]  # provider -> suite -> compact result (from GX's), as validated
    shown: dict[str, dict[str, dict]]  # the same, disclosure-controlled
    measures: pd.DataFrame = field(repr=False)
    gx_results: dict[str, dict] = field(default_factory=dict, repr=False)  # suite -> GX's result as stored and shown
    docs: Path | None = None

    def suite_outcome(self, suite: str) -> tuple[bool, dict[str, dict]]:
        """Whether every provider passed a suite, and each provider's published numbers in it."""
        passed, numbers = True, {}
        for provider, by_suite in self.shown.items():
            result = by_suite[suite]
            passed &= bool(result["success"]) or provider == "ALL"
            numbers[provider] = {er["column"]: er["observed_value"] for er in result["results"]}
        return passed, numbers


def validate_quality(con: duckdb.DuckDBPyConnection, year: str, providers: list[str], config: AuditConfig,
                     docs: Path | None = None, run_time: dt.datetime | None = None) -> QualityRun:
    """Measure DQ01-DQ03 in the staged warehouse, validate every provider with each suite and decide.

    ``docs``: folder for the static data docs site; ``run_time``: the run id's time (a fixed one
    keeps the site's file names reproducible).
    """
    all_rules = rules(config)
    measures = disclosure.control_quality(build_measures(con, year, providers), config.disclosure_profile)
    run_time = run_time or dt.datetime(int(year[:4]) + 1, 4, 1, tzinfo=dt.timezone.utc)
    results, shown, stored = run_suites(measures, providers, all_rules, docs, run_time, config.disclosure_profile, year)
    decisions = decide(providers, results, measures, config, all_rules)
    return QualityRun(decisions, results, shown, measures, stored, docs)


def save(con: duckdb.DuckDBPyConnection, run: QualityRun) -> None:
    """Keep the decisions (read by the CLI and the reports) and the raw results in the warehouse."""
    decisions = pd.DataFrame([d.__dict__ for d in run.decisions], columns=["provider", "decision", "valid_share", "reason"])
    con.register("_decisions", decisions)
    con.execute("CREATE OR REPLACE TABLE quality_decisions AS SELECT * FROM _decisions").fetchall()
    con.unregister("_decisions")
    con.execute("CREATE OR REPLACE TABLE quality_results (provider VARCHAR, result JSON)").fetchall()
    for provider, result in run.results.items():
        con.execute("INSERT INTO quality_results VALUES ($p, $r)", {"p": provider, "r": json.dumps(result)}).fetchall()


def published_quality(con: duckdb.DuckDBPyConnection, year: str, config: AuditConfig) -> pd.DataFrame:
    """data_quality.csv from what :func:`save` and the measures step left in the warehouse."""
    measures = disclosure.control_quality(con.execute("SELECT * FROM quality_measures").df(), config.disclosure_profile)
    results = {p: json.loads(r) for p, r in con.execute("SELECT provider, result FROM quality_results").fetchall()}
    decisions = [Decision(**d) for d in con.execute("SELECT * FROM quality_decisions").df().to_dict("records")]
    return published_table(year, measures, results, decisions, rules(config), config)
