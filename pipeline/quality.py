"""The data-quality gate: Great Expectations suites, run per provider, and the publish decision.

Great Expectations cannot validate DuckDB directly (it reads metric rows after closing the
connection), so each suite validates a pandas frame holding only the column it needs, pulled
from DuckDB with Arrow. Results keep counts, percentages and code values only
(``partial_unexpected_count`` 0): nothing row-level ever reaches a published page.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipeline import contract
from pipeline.config import AuditConfig
from pipeline.warehouse import query

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger("mhaudit")
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}


@dataclass(frozen=True)
class Decision:
    """Whether a provider's report is published, published with a warning, or withheld, and why."""

    provider: str
    decision: str  # publish | warn | withhold
    valid_share: float | None
    reason: str


def ethnicity_suite(config: AuditConfig):
    """DQ01 as a suite: the recorded ethnic category is a valid national code for enough persons."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name="dq01_ethnicity_recording")
    for level, mostly in (("withhold", config.ethnicity_withhold_below), ("warn", config.ethnicity_warn_below)):
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToMatchRegex(
                column="EthnicCategory",
                regex=contract.ETHNICITY_VALID_REGEX,
                mostly=mostly,
                meta={"level": level, "rule": f"valid ethnic category (A to S) for at least {mostly:.0%} of persons"},
            )
        )
    return suite


def validate_ethnicity(con: duckdb.DuckDBPyConnection, providers: list[str], config: AuditConfig) -> dict[str, dict]:
    """Run the DQ01 suite for each provider; returns each provider's validation result as JSON."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = context.data_sources.add_pandas("mhaudit").add_dataframe_asset("mhs001mpi").add_batch_definition_whole_dataframe("provider")
    suite = context.suites.add(ethnicity_suite(config))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="dq01", data=batch, suite=suite))
    results = {}
    for provider in providers:
        # Blank or null counts as not valid: GX would otherwise leave nulls out of 'mostly'.
        frame = con.sql(
            "SELECT coalesce(EthnicCategory, '') AS EthnicCategory FROM mhs001mpi WHERE OrgIDProv = $p",
            params={"p": provider},
        ).to_arrow_table().to_pandas()
        result = definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        results[provider] = result.to_json_dict()
        log.info("validated ethnicity recording for %s: %s", provider, "passed" if result.success else "failed")
    return results


def expectation_outcomes(result: dict) -> dict[str, dict]:
    """The outcome of each level ('withhold', 'warn') of a DQ01 validation result."""
    out = {}
    for r in result["results"]:
        cfg = r["expectation_config"]
        unexpected = r["result"].get("unexpected_percent")
        out[cfg["meta"]["level"]] = {
            "success": bool(r["success"]),
            "valid_percent": None if unexpected is None else 100.0 - unexpected,
            "element_count": r["result"].get("element_count", 0),
            "rule": cfg["meta"]["rule"],
        }
    return out


def decide(providers: list[str], results: dict[str, dict], config: AuditConfig) -> list[Decision]:
    """The quality gate: withhold below the withhold threshold (or no persons), warn below the warning one."""
    decisions = []
    for provider in providers:
        outcome = expectation_outcomes(results[provider]) if provider in results else {}
        if not outcome or outcome["withhold"]["element_count"] == 0:
            decisions.append(Decision(provider, "withhold", None, "the patient index (MHS001MPI) has no persons for this provider"))
            continue
        share = outcome["withhold"]["valid_percent"] / 100
        level = "withhold" if not outcome["withhold"]["success"] else "warn" if not outcome["warn"]["success"] else "publish"
        decisions.append(decision_for(provider, share, level, config))
    return decisions


def decision_for(provider: str, share: float, level: str, config: AuditConfig) -> Decision:
    """The decision and its plain-English reason for a provider whose valid share is ``share``."""
    reason = f"ethnicity is validly recorded for {share:.1%} of persons"
    if level == "withhold":
        reason += f", below the {config.ethnicity_withhold_below:.0%} needed to publish ethnic group comparisons"
    elif level == "warn":
        reason += f", below the {config.ethnicity_warn_below:.0%} expected, so comparisons may be biased"
    return Decision(provider, level, share, reason)


def level_for_share(share: float, config: AuditConfig) -> str:
    if share < config.ethnicity_withhold_below:
        return "withhold"
    return "warn" if share < config.ethnicity_warn_below else "publish"


def ethnicity_recording(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """DQ01's breakdown per provider and ALL: valid, not stated (Z), not known (99), invalid, missing."""
    return query(con, "SELECT * FROM dq01_ethnicity_recording")
