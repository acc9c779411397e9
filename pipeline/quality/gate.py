"""The publish decision per provider, and the published long table of every data-quality result."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline import contract
from pipeline.estimates import rounded
from pipeline.config import AuditConfig
from pipeline.quality.rules import EVENT_POPULATIONS, Rule
from pipeline.quality.suites import rule_outcomes

PUBLISHED_COLUMNS = ["year", "provider", "measure", "table", "field", "check", "count", "total", "percent",
                     "threshold", "result", "detail", "suppressed"]
KEYS = ["measure", "table", "field", "check"]


@dataclass(frozen=True)
class Decision:
    """Whether a provider's report is published, published with a warning, or withheld, and why."""

    provider: str
    decision: str  # publish | warn | withhold
    valid_share: float | None
    reason: str


def decide(providers: list[str], results: dict[str, dict], measures: pd.DataFrame, config: AuditConfig,
           rules: list[Rule]) -> list[Decision]:
    """The quality gate from the validation results: withhold when a withhold-level rule failed
    (ethnicity below the withhold threshold, no persons, a required table empty), warn when the
    ethnicity warning rule failed, otherwise publish."""
    decisions = []
    for provider in providers:
        outcome = rule_outcomes(results.get(provider, {}))
        failed = [r for r in rules if r.id in outcome and not outcome[r.id][0]]
        failed += [r for r in rules if r.suite == "dq01_ethnicity_recording" and r.id not in outcome]
        row = _row(measures, provider, "DQ01", "MHS001MPI", "EthnicCategory", "valid")
        share = published_share(row)
        empty = [r.table for r in failed if r.check == "present"]
        if share is None:
            decisions.append(Decision(provider, "withhold", None, "the patient index (MHS001MPI) has no persons for this provider"))
        elif empty:
            decisions.append(Decision(provider, "withhold", share,
                                      f"{' and '.join(empty)} {'has' if len(empty) == 1 else 'have'} no records for this "
                                      "provider, so its indicators cannot be computed"))
        else:
            levels = {r.level for r in failed if r.suite == "dq01_ethnicity_recording"}
            level = "withhold" if "withhold" in levels else "warn" if "warn" in levels else "publish"
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


def published_share(row: pd.Series | None) -> float | None:
    """The valid share as published (from the published counts, to the published 0.1%), or the
    highest its published range allows where a count it rests on is hidden; None with no persons."""
    if row is None or not row["total_high"] or pd.isna(row["total_high"]):
        return None
    return round(min(1.0, float(row["count_high"]) / float(row["total_low"])), 3)


def level_for_share(share: float, config: AuditConfig) -> str:
    if share < config.ethnicity_withhold_below:
        return "withhold"
    return "warn" if share < config.ethnicity_warn_below else "publish"


def _row(measures: pd.DataFrame, provider: str, *key: str) -> pd.Series | None:
    hit = measures[(measures["provider"] == provider) & (measures[KEYS] == list(key)).all(axis=1)]
    return None if hit.empty else hit.iloc[0]


def published_table(year: str, measures: pd.DataFrame, results: dict[str, dict], decisions: list[Decision],
                    rules: list[Rule], config: AuditConfig) -> pd.DataFrame:
    """data_quality.csv: one row per provider (and ALL) x measure x table x field x check, plus one
    GATE row per provider with its decision; counts as published (see disclosure.control_quality),
    percentages from them."""
    frame = measures.copy()
    by_key: dict[tuple, list[Rule]] = {}
    for r in rules:
        by_key.setdefault((r.measure, r.table, r.field, r.check), []).append(r)
    keys = list(frame[KEYS].itertuples(index=False, name=None))
    frame["threshold"] = ["; ".join(r.threshold_text() for r in by_key.get(k, [])) for k in keys]
    outcomes = {p: rule_outcomes(results.get(p, {})) for p in frame["provider"].unique()}
    frame["result"] = [_result(by_key.get(k, []), outcomes[p]) for k, p in zip(keys, frame["provider"])]
    frame["detail"] = [_detail(k, by_key.get(k, [])) for k in keys]

    gate = _gate_rows(measures, decisions, config)
    frame = pd.concat([frame, gate], ignore_index=True)
    order = {p: i for i, p in enumerate(dict.fromkeys(list(measures["provider"])))}
    frame = frame.sort_values("provider", key=lambda s: s.map(order), kind="stable")

    count, total = frame["count"].astype(float), frame["total"].astype(float)
    frame["percent"] = rounded(100 * count / total.where(total > 0), 1)
    frame.insert(0, "year", year)
    return frame[PUBLISHED_COLUMNS].reset_index(drop=True)


def _result(rules: list[Rule], outcome: dict) -> str:
    if not rules:
        return "info"
    failed = {r.level for r in rules if r.id in outcome and not outcome[r.id][0]}
    return "fail" if "withhold" in failed else "warn" if "warn" in failed else "pass"


def _detail(key: tuple, rules: list[Rule]) -> str:
    measure, table, _field, check = key
    if measure == "DQ01":
        return f"{contract.ETHNICITY_STATUSES[check]} among persons in the patient index"
    if measure == "DQ02":
        who, source = next((w, s) for t, w, s in EVENT_POPULATIONS if t == table)
        return f"{contract.ETHNICITY_STATUSES[check]} among {who} (ethnic category from {source})"
    return rules[0].text if rules else ""


def _gate_rows(measures: pd.DataFrame, decisions: list[Decision], config: AuditConfig) -> pd.DataFrame:
    """One GATE row per provider (and ALL, judged on its ethnicity share) with the decision and why."""
    valid = measures[(measures["measure"] == "DQ01") & (measures["check"] == "valid")].set_index("provider")
    required = ", ".join(t.name for t in contract.TABLES if t.required_per_provider)
    threshold = (f"withhold below {config.ethnicity_withhold_below:.0%} or with no {required} records; "
                 f"warn below {config.ethnicity_warn_below:.0%}")
    all_share = published_share(valid.loc["ALL"]) or 0.0
    gated = decisions + [decision_for("ALL", all_share, level_for_share(all_share, config), config)]
    return pd.DataFrame([
        {"provider": d.provider, "measure": "GATE", "table": "", "field": "", "check": "decision",
         "count": valid.loc[d.provider, "count"], "total": valid.loc[d.provider, "total"],
         "count_hidden": valid.loc[d.provider, "count_hidden"], "total_hidden": valid.loc[d.provider, "total_hidden"],
         "threshold": threshold, "result": d.decision, "detail": d.reason, "suppressed": valid.loc[d.provider, "suppressed"]}
        for d in gated
    ])


def report_quality(published: pd.DataFrame, provider: str) -> dict | None:
    """A provider's DQ01 breakdown and decision from data_quality.csv, as the report shows them:
    persons, each class's count and ``<class>_percent``, ``valid_share``, ``decision`` and ``reason``."""
    rows = published[(published["provider"] == provider) & (published["measure"] == "DQ01")]
    if rows.empty:
        return None
    out: dict = {}
    for r in rows.itertuples():
        out[r.check], out[f"{r.check}_percent"], out["persons"] = r.count, r.percent, r.total
    out["valid_share"] = None if pd.isna(out["valid_percent"]) else out["valid_percent"] / 100
    gate = published[(published["provider"] == provider) & (published["measure"] == "GATE")]
    if len(gate):
        out["decision"], out["reason"] = gate["result"].iloc[0], gate["detail"].iloc[0]
    return out
