"""The Great Expectations side: suites built from the rules, each provider's batch validated by
every suite, and the data docs site published for auditors.

Each provider's batch is a one-row pandas frame of percentages that DuckDB aggregated, so the
stored results and the rendered pages hold percentages and pass/fail only: no identifier, no
row, no count. Before the site is built the results pass the same disclosure control as the
published tables (a percentage resting on a suppressed count is blanked).

Great Expectations' page templates do not escape what they print (its Jinja environment
autoescapes only ``.html`` and ``.xml`` templates, and its own are ``.j2``), so nothing from an
extract may reach them but a provider's code, which the loader has checked is letters and
digits; :func:`run_suites` checks it again before a code becomes a run name and a folder.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path

import pandas as pd

from pipeline import disclosure
from pipeline.contract import is_report_code
from pipeline.publish import writing
from pipeline.quality import datadocs
from pipeline.quality.rules import SUITES, Rule

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
log = logging.getLogger("mhaudit")
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
SITE = "mhaudit_validation"
RUN_NAME_ALL = "ALL"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def provider_frame(measures: pd.DataFrame, provider: str, rules: list[Rule]) -> pd.DataFrame:
    """The one-row batch a provider's suites validate: each rule's number (see :func:`rule_value`),
    from the published (disclosure-controlled) measures."""
    rows = measures[measures["provider"] == provider].set_index(["measure", "table", "field", "check"])
    values = {r.column: rule_value(r, rows.loc[(r.measure, r.table, r.field, r.check)]) for r in rules}
    return pd.DataFrame([values])


def rule_value(rule: Rule, row: pd.Series) -> float:
    """Whether a table has records (1/0), else the published percentage (1 decimal), so every
    decision can be checked from data_quality.csv. A percentage resting on a hidden count is taken
    at the most favourable value its published range allows: a rule fails only where the published
    figures show it fails. Nothing to check fails no 'max' rule."""
    if rule.check == "present":
        return 1.0 if row["count_high"] > 0 else 0.0
    if pd.isna(row["total_high"]) or row["total_high"] == 0:
        return float("nan") if rule.bound == "min" else 0.0  # a patient index with no persons fails
    if rule.bound == "min" or rule.complement:  # a share of valid records: its highest
        percent = 100.0 * min(1.0, float(row["count_high"]) / float(row["total_low"]))
        percent = 100.0 - percent if rule.complement else percent
    else:  # a share of failing records: its lowest
        percent = 100.0 * float(row["count_low"]) / float(row["total_high"])
    return round(percent, 1)


def _suite(gx, name: str, rules: list[Rule]):
    suite = gx.ExpectationSuite(name=name, meta={"notes": {"format": "markdown", "content": [SUITES[name]]}})
    for r in rules:
        expectation = gx.expectations.ExpectColumnMinToBeBetween if r.bound == "min" else gx.expectations.ExpectColumnMaxToBeBetween
        limit = {"min_value": r.threshold} if r.bound == "min" else {"max_value": r.threshold}
        suite.add_expectation(expectation(
            column=r.column, **limit,
            meta={"rule": r.id, "level": r.level, "measure": r.measure,
                  "notes": {"format": "markdown", "content": [f"**{r.level}**: {r.text}"]}},
        ))
    return suite


def run_suites(measures: pd.DataFrame, providers: list[str], rules: list[Rule], docs: Path | None,
               run_time: dt.datetime, profile: str) -> tuple[dict, dict]:
    """Validate every provider (and ALL) with every suite.

    Returns two maps provider -> suite -> compact result (success; each rule's success and observed
    value): as validated (for the gate) and as published (disclosure-controlled). The published
    ones replace GX's stored results, and with ``docs`` the site is rendered from them."""
    unsafe = [p for p in providers if not is_report_code(p) or p == RUN_NAME_ALL]
    if unsafe:
        raise ValueError(f"refusing to name data docs pages after {unsafe!r}: not organisation codes")
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier, ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("mhaudit").add_dataframe_asset("quality_measures")
             .add_batch_definition_whole_dataframe("provider"))
    definitions = []
    for name in SUITES:
        suite = context.suites.add(_suite(gx, name, [r for r in rules if r.suite == name]))
        definitions.append(context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite)))

    results: dict[str, dict[str, dict]] = {}
    shown: dict[str, dict[str, dict]] = {}
    by_id = {r.id: r for r in rules}
    for provider in providers + [RUN_NAME_ALL]:
        frame = provider_frame(measures, provider, rules)
        # A fixed run id (provider, publication date) keeps the site's file names reproducible.
        run_id = RunIdentifier(run_name=provider, run_time=run_time)
        # What ValidationDefinition.run does, less its per-call store lookups and its storing of the
        # raw result: one batch per provider for the four suites, and each result stored once,
        # after disclosure control (GX's own bookkeeping was two thirds of the validation time).
        validator = Validator(batch_definition=batch, batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        results[provider], shown[provider] = {}, {}
        for definition in definitions:
            result = validator.validate_expectation_suite(definition.suite)
            result.meta.update(validation_id=definition.id, checkpoint_id=None, run_id=run_id, validation_time=run_time,
                               batch_parameters={"dataframe": "<DATAFRAME>"})
            results[provider][result.suite_name] = _compact(result)
            _control(result, measures[measures["provider"] == provider], by_id, profile)
            if "ge_load_time" in result.meta.get("batch_markers", {}):  # the clock, not the data
                result.meta["batch_markers"]["ge_load_time"] = run_time.strftime("%Y%m%dT%H%M%S.%fZ")
            key = ValidationResultIdentifier(expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                                             run_id=run_id, batch_identifier=validator.active_batch_id)
            context.validation_results_store.set(key, result)
            shown[provider][result.suite_name] = _compact(result)
        passed = all(r["success"] for r in results[provider].values())
        log.info("validated data quality for %s: %s", provider, "passed" if passed else "some checks failed")
    if docs is not None:
        _build_site(context, docs)
    return results, shown


def _compact(result) -> dict:
    """What the gate and the Dagster checks read of a result (GX's own JSON is slow to build)."""
    return {"success": bool(result.success), "results": [
        {"rule": er.expectation_config.meta["rule"], "column": er.expectation_config.kwargs["column"],
         "success": bool(er.success), "observed_value": _number(er.result.get("observed_value"))}
        for er in result.results
    ]}


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _control(result, rows: pd.DataFrame, by_id: dict[str, Rule], profile: str) -> None:
    """Blank each observed percentage that rests on a hidden count (the gate judged it on the most
    favourable value its published range allows, and says so)."""
    p = disclosure.PROFILES[profile]
    indexed = rows.set_index(["measure", "table", "field", "check"])
    for er in result.results:
        rule = by_id[er.expectation_config.meta["rule"]]
        if rule.check == "present" or er.result.get("observed_value") is None:
            continue
        row = indexed.loc[(rule.measure, rule.table, rule.field, rule.check)]
        if bool(row["count_hidden"]) or bool(row["total_hidden"]):
            er.result["observed_value"] = None
            er.result["details"] = {"suppressed": f"{p.name}: the percentage rests on a hidden count; judged on the "
                                                  "most favourable value the published counts allow"}


def _build_site(context, docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(site_name=SITE, site_config={
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,  # GX's tutorial links: not for auditors
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_how_to_buttons": False},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs.resolve())},
    })
    with writing(docs):
        context.build_data_docs(site_names=[SITE])
        for page in docs.rglob("*.html"):
            page.write_text(_reproducible(page.read_text(encoding="utf-8")), encoding="utf-8")
        datadocs.make_offline(docs)


def _reproducible(html: str) -> str:
    """GX stamps each page with random element ids and the render time (as an image cache-buster);
    numbering the ids and dropping the stamp makes a rerun's pages byte-identical."""
    html = re.sub(r"\?d=\d{8}T\d{6}\.\d{6}Z", "", html)
    ids: dict[str, str] = {}
    return UUID.sub(lambda m: ids.setdefault(m.group(0), f"id{len(ids) + 1}"), html)


def rule_outcomes(results: dict[str, dict]) -> dict[str, tuple[bool, float | None]]:
    """Rule id -> (passed, observed value) for one provider's results."""
    return {er["rule"]: (er["success"], er["observed_value"]) for result in results.values() for er in result["results"]}
