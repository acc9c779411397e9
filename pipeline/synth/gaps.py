"""The planted truth of the gap trends (truth.json 'gap_trends'): per provider (and ALL), key
indicator and group, the planted change a year in the ratio to White British, its verdict, the
expected recorded ratio in each year and the power of a test of the change.

The power is that of a Wald test (5%, two-sided) of the group x year term of a log-linear model
(Poisson counts for rates and bed-day rates, binomial on the log-odds scale for proportions) fitted
to the expected counts, with each count's planted overdispersion (repeat detentions; a person's
several restrictive interventions) as a known dispersion: what a five-year trend test can detect.
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.synth import params as P
from pipeline.synth.ethnicity import RECORDED_GROUP
from pipeline.synth.population import TRUE_CODES, fsum
from pipeline.synth.rates import planted_change
from pipeline.synth.truth import add, round_sig

BINOMIAL = ("AC02", "OU01")
ALL_STEADY_BELOW = 0.02  # ALL mixes providers' trends: 'steady' unless its ratio moves 2% a year or more
Z_975 = 1.959964


def gap_trends(years: list[str], by_year: dict[str, dict[str, dict]], roles: dict[str, str]) -> list[dict]:
    """One record per provider (and ALL) x key indicator x ethnic group (params.GROUPS); none for one year."""
    out = []
    if len(years) < 2:
        return out
    for code in list(roles) + ["ALL"]:
        series = [by_year[y][code] if code != "ALL" else _total(by_year[y]) for y in years]
        for ind in P.GAP_TRENDS:
            for group in P.GROUPS:
                record = _trend(years, series, ind, group, roles.get(code))
                if record:
                    out.append({"provider": code, "indicator_id": ind, "group_code": group, **record})
    return out


def _total(per_provider: dict[str, dict]) -> dict:
    total = None
    for exp in per_provider.values():
        total = add(total, exp)
    return total


def _idx(group: str) -> list[int]:
    """Recorded indices of a group, or of White British ('A')."""
    return [TRUE_CODES.index("A")] if group == "A" else [i for i, r in enumerate(RECORDED_GROUP) if r == group]


def _cell(exp: dict, ind: str, group: str) -> tuple[float, float, float]:
    """Expected numerator, denominator and dispersion of a recorded group or of White British."""
    num, den = exp[ind]
    idx = _idx(group)
    n = fsum(num[idx])
    d = fsum(den[idx]) if den is not None else exp["population"].get(group, 0.0)
    moment = exp.get(f"{ind}_second_moment")
    return n, d, (fsum(moment[0][idx]) / n if moment is not None and n > 0 else 1.0)


def _slope(t: np.ndarray, y: np.ndarray) -> float:
    dt = t - t.mean()
    return math.fsum((dt * y).tolist()) / math.fsum((dt * dt).tolist())


def _information(t: np.ndarray, w: np.ndarray) -> float:
    """Fisher information of a slope in a GLM whose working weights are ``w``."""
    centre = math.fsum((w * t).tolist()) / math.fsum(w.tolist())
    return math.fsum((w * (t - centre) ** 2).tolist())


def _trend(years: list[str], series: list[dict], ind: str, group: str, role: str | None) -> dict | None:
    cells = np.array([[*_cell(e, ind, group), *_cell(e, ind, "A")] for e in series])  # n, d, D for group and A
    if (cells[:, [0, 1, 3, 4]] <= 0).any():
        return None
    t = np.array([int(y[:4]) for y in years], dtype=float)
    p_g, p_a = cells[:, 0] / cells[:, 1], cells[:, 3] / cells[:, 4]
    change = math.exp(_slope(t, np.log(p_g / p_a))) - 1
    if ind in BINOMIAL:
        delta = _slope(t, np.log(p_g / (1 - p_g)) - np.log(p_a / (1 - p_a)))
        info = [_information(t, cells[:, 1] * p_g * (1 - p_g)), _information(t, cells[:, 4] * p_a * (1 - p_a))]
    else:
        delta = math.log(1 + change)
        info = [_information(t, cells[:, 0]) / cells[:, 2].mean(), _information(t, cells[:, 3]) / cells[:, 5].mean()]
    z = abs(delta) / math.sqrt(1 / info[0] + 1 / info[1])
    ratio = dict(zip(years, (p_g / p_a).tolist()))
    if role:
        moving = planted_change(role, ind, group)
    else:
        moving = change if abs(change) >= ALL_STEADY_BELOW else 0.0
    above = next(iter(ratio.values())) > 1
    verdict = "steady" if not moving else "widening" if above == (moving > 0) else "narrowing"
    return {"role": role or "all providers", "planted_change_per_year": moving if role else None, "verdict": verdict,
            "expected_ratio": {y: round_sig(r, 6) for y, r in ratio.items()},
            "expected_change_per_year": round_sig(change, 6), "dispersion": round_sig(cells[:, 2].mean(), 4),
            "power": round_sig(_phi(z - Z_975) + _phi(-z - Z_975), 4)}


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))
