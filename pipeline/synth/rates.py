"""Each provider-year's planted rates per population stratum, with the trends in the gap to White British.

A provider's role is 'narrowing' or 'steady' (params.GAP_TRENDS, issue 13). Trends multiply the
rate of the *true* group behind an indicator; White British rates never change, so each ratio to
White British moves as planted (the recorded ratio a little less: misrecorded people dilute it).
"""

from __future__ import annotations

import math

import numpy as np

from pipeline import contract
from pipeline.synth import params as P
from pipeline.synth.population import SEXES, Provider

ROLES = ("narrowing", "steady")


def stratum_rates(p: Provider, start_year: int) -> dict[str, np.ndarray]:
    """Per stratum: each kind's rate per resident per year (group rate x age x sex x provider factor),
    the justice share of referrals and the Talking Therapies recovery chance, with the provider's
    planted trends, and the incidents per restrained person factor (see plant)."""
    out = {}
    for kind, by_group in P.RATES.items():
        axis = P.RATE_AXIS[kind]
        rate = np.array([by_group[g] for g in P.GROUPS])[p.group]
        rate = rate * np.array([P.AGE_FACTORS[axis][b] for b in contract.AGE_BANDS])[p.band]
        rate = rate * np.array([P.SEX_FACTORS[axis][s] for s in SEXES])[p.sex]
        out[kind] = rate * p.factors[kind]
    out["justice"] = np.array([P.JUSTICE_SHARE[g] for g in P.GROUPS])[p.group]
    out["recovery"] = np.array([P.TT_RECOVERY[g] for g in P.GROUPS])[p.group]
    return plant(p, out, start_year)


def assign_roles(providers: list[Provider], scale: str) -> None:
    """Rank providers by minority population; every n-th from the largest narrows, the rest are steady."""
    every = P.SCALES[scale].narrowing_every
    white_british = [g.ons_code for g in contract.CENSUS_ETHNIC_GROUPS].index(13)
    minority = [int(p.count[p.ons != white_british].sum()) for p in providers]
    order = sorted(range(len(providers)), key=lambda i: (-minority[i], providers[i].code))
    for rank, i in enumerate(order):
        providers[i].trend = ROLES[0] if rank % every == 0 else ROLES[1]


def planted_change(role: str, indicator: str, group: str) -> float:
    """The planted change a year of the group's rate behind an indicator, at a provider of this role."""
    trend = P.GAP_TRENDS[indicator]
    if role == "narrowing" and group == trend["group"]:
        return trend["per_year"]
    if role == "steady" and indicator == "CO01" and group == "BLACK":
        return P.BLACK_DETENTION_TREND["per_year"]
    return 0.0


def factors(role: str, start_year: int) -> dict[str, dict[str, float]]:
    """{kind: {group: multiplier}} for one provider-year (kinds without a trend are absent)."""
    out: dict[str, dict[str, float]] = {}
    for indicator, trend in P.GAP_TRENDS.items():
        for group in P.GROUPS:
            change = planted_change(role, indicator, group)
            if change:
                base = P.BLACK_DETENTION_TREND["base_year"] if role == "steady" else trend["base_year"]
                out.setdefault(trend["kind"], {})[group] = (1 + change) ** (start_year - base)
    return out


def person_classes(rates: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per stratum, for a seen (normal, acute) person: P(restrained) and expected hospital spells.

    Acute people carry ACUTE_EVENT_SHARE of coercive events (persons.per_person_rates); a spell
    comes with each detention and informal admission, and one more for a restrained person with
    neither (mhsds.spells_and_restraint)."""
    seen = rates["contact"]
    per = {k: np.divide(rates[k], seen, out=np.zeros_like(seen), where=seen > 0)
           for k in ("detention", "informal_admission", "restrictive")}
    out: dict[str, list] = {"restrained": [], "spells": []}
    for scale in ((1 - P.ACUTE_EVENT_SHARE) / (1 - P.ACUTE_SHARE), P.ACUTE_EVENT_SHARE / P.ACUTE_SHARE):
        admitted = (per["detention"] + per["informal_admission"]) * scale
        restrained = np.minimum(1.0, per["restrictive"] * scale)
        # math.exp, not np.exp: numpy's SIMD exp may differ in the last digit between CPUs
        none = np.array([math.exp(-x) for x in admitted.tolist()])
        out["restrained"].append(restrained)
        out["spells"].append(admitted + restrained * none)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _by_group(p: Provider, rates: dict, key: str) -> np.ndarray:
    """Expected restrained people or spells per true group (params.GROUPS order), correctly rounded."""
    normal, acute = person_classes(rates)[key]
    values = (p.count * rates["contact"] * ((1 - P.ACUTE_SHARE) * normal + P.ACUTE_SHARE * acute)).tolist()
    group = p.group.tolist()
    return np.array([math.fsum(v for v, g in zip(values, group) if g == gi) for gi in range(len(P.GROUPS))])


def plant(p: Provider, base: dict[str, np.ndarray], start_year: int) -> dict[str, np.ndarray]:
    """The provider-year's stratum rates: ``base`` times its trend factors, and the incidents factor.

    Restrictive interventions per bed day (CO05) would move with anything that changes a group's
    bed days (the detention trends do), so the incidents per restrained person of each group are
    scaled by its expected spells per restrained person relative to no trend: CO05's ratio to White
    British then moves only by its own planted factor."""
    rates = {k: v.copy() for k, v in base.items()}
    planted = factors(p.trend, start_year)
    for kind, by_group in planted.items():
        if kind in rates:
            for group, f in by_group.items():
                rates[kind][p.group == P.GROUPS.index(group)] *= f
    # CO05 = restrained people x incidents each / bed days, and bed days go with spells
    spells, spells0 = _by_group(p, rates, "spells"), _by_group(p, base, "spells")
    held, held0 = _by_group(p, rates, "restrained"), _by_group(p, base, "restrained")
    own = np.array([planted.get("interventions", {}).get(g, 1.0) for g in P.GROUPS])
    moved = np.divide(spells * held0, spells0 * held, out=np.ones_like(own), where=(spells0 > 0) & (held > 0))
    rates["incidents"] = (own * moved)[p.group]
    return rates
