"""The data-quality section's view-model, from the published data_quality.csv.

The table is long (one row per provider x measure x table x field x check, plus a GATE row);
:func:`as_long` also reads the older wide shape (persons, valid, valid_percent, ...) so reports
render whichever the quality step wrote.
"""

from __future__ import annotations

import pandas as pd

from pipeline import contract
from pipeline.report.format import fmt_count, fmt_percent, missing

# Who each ethnicity-recording measure counts, as a sentence names them.
SHORT = {"MHS001MPI": "people in the patient index", "MHS101Referral": "people referred",
         "MHS401MHActPeriod": "people detained", "MHS505RestrictiveInterventInc": "people subject to restrictive intervention",
         "TalkingTherapiesReferral": "Talking Therapies referrals", "ExperienceSurvey": "survey respondents"}
RESULT_TEXT = {"pass": "met", "warn": "below expected", "fail": "failed", "withhold": "failed", "info": ""}


def as_long(frame: pd.DataFrame) -> pd.DataFrame:
    """data_quality in the long shape, converting the old wide shape (DQ01 only) if that is what was read."""
    if "measure" in frame.columns:
        return frame
    rows = []
    for r in frame.to_dict("records"):
        for check, label in contract.ETHNICITY_STATUSES.items():
            rows.append({"provider": r["provider"], "measure": "DQ01", "table": "MHS001MPI", "field": "EthnicCategory",
                         "check": check, "count": r.get(check), "total": r.get("persons"),
                         "percent": r.get(f"{check}_percent"), "threshold": "", "result": "",
                         "detail": f"{label} among persons in the patient index", "suppressed": ""})
    return pd.DataFrame(rows)


def quality_section(frame: pd.DataFrame | None, provider: str) -> dict | None:
    """DQ01 (patient index), DQ02 (each event table) and DQ03 (other fields) for one provider."""
    if frame is None:
        return None
    mine = as_long(frame)
    mine = mine[mine["provider"].astype(str) == provider].fillna({"suppressed": "", "result": "", "detail": ""})
    dq01 = mine[mine["measure"] == "DQ01"]
    if dq01.empty:
        return None
    persons = dq01["total"].iloc[0]
    valid = dq01[dq01["check"] == "valid"]
    dq02 = _dq02(mine[(mine["measure"] == "DQ02") & (mine["check"] == "valid")])
    return {
        "persons": fmt_count(persons),
        "dq01": [{"label": contract.ETHNICITY_STATUSES.get(r["check"], r["check"]), "count": fmt_count(r["count"]),
                  "percent": fmt_percent(r["percent"])} for _, r in dq01.iterrows()],
        "dq02": dq02,
        # The records whose own ethnicity recording is below the warning threshold, for the summary.
        "below": [f"{SHORT.get(r['table'], r['who'])} ({r['percent']})" for r in dq02 if r["result"] == RESULT_TEXT["warn"]],
        "dq01_below": fmt_percent(valid["percent"].iloc[0]) if len(valid) and valid["result"].iloc[0] == "warn" else "",
        "dq03": _dq03(mine[mine["measure"] == "DQ03"]),
    }


def _dq02(rows: pd.DataFrame) -> list[dict]:
    return [{"table": r["table"], "who": _who(r["detail"]), "total": fmt_count(r["total"]),
             "percent": fmt_percent(r["percent"]), "result": RESULT_TEXT.get(r["result"], r["result"])}
            for _, r in rows.iterrows()]


def _who(detail: str) -> str:
    """'Valid code (A to S) among persons detained in the year (...)' -> 'Persons detained in the year (...)'."""
    text = detail.split(" among ", 1)[-1]
    return text[:1].upper() + text[1:]


def _dq03(rows: pd.DataFrame) -> dict:
    problems = rows[rows["result"].isin(["warn", "fail", "withhold"])]
    return {
        "checked": f"{len(rows):,}",
        "passed": f"{int((rows['result'] == 'pass').sum()):,}",
        "problems": [{"table": r["table"], "check": _rule(r["detail"]),
                      "count": fmt_count(r["count"]) if not missing(r["count"]) else "*",
                      "percent": fmt_percent(r["percent"]), "result": RESULT_TEXT.get(r["result"], r["result"])}
                     for _, r in problems.iterrows()],
    }


def _rule(detail: str) -> str:
    """The rule without the threshold boilerplate: 'Gender is one of the contract's codes (1, 2, 9, X)'."""
    return detail.split(":", 1)[0].strip()
