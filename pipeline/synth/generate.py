"""Write a synthetic extract folder with a planted, known truth (synthetic.md).

Work is per provider-year with its own seeded generator, streamed into one file per table, so
memory stays bounded at national scale and output depends only on seed, scale and years.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path

import numpy as np

from pipeline import contract
from pipeline.synth import faults, gaps, io, truth
from pipeline.synth import params as P
from pipeline.synth.mhsds import Events
from pipeline.synth.persons import IdSpace, draw_people, mpi_columns, per_person_rates
from pipeline.synth.population import make_providers, population_table
from pipeline.synth.rates import assign_roles, stratum_rates
from pipeline.synth.services import survey, talking_therapies

log = logging.getLogger("mhaudit.synth")
EPOCH = np.datetime64("1970-01-01", "D")


def _days(iso: str) -> int:
    return int((np.datetime64(iso, "D") - EPOCH).astype(np.int64))


def _id_space(providers, spec: P.Scale, n_years: int) -> IdSpace:
    """Widths big enough for every person and event number of the run (so ids stay unique)."""
    biggest = max(int(p.count.sum()) for p in providers)
    person = max(5, math.ceil(math.log10(biggest * 0.2 * n_years + 1)))
    per_person = (1 + spec.extra_referrals) * spec.contacts_per_referral  # contacts: the most numerous events
    events = max(5, math.ceil(math.log10(biggest * 0.1 * 1.2 * per_person * n_years + 1)))
    if person + 2 > 10:
        raise ValueError("too many years for the Person_ID scramble (at most 10 digits)")
    return IdSpace(person, events)


def _check_room(ids: IdSpace, state: dict, counters: dict) -> None:
    """Serial numbers must stay inside their part of the block, or ids would collide."""
    tenth = 10 ** (ids.person_digits - 1)
    assert state["counter"] < 5 * tenth and counters.get("tt_person", 0) < 4 * tenth
    assert counters.get("unknown_person", 0) < tenth
    assert all(v < 10 ** ids.event_digits for k, v in counters.items() if len(k) == 1)


def _valid_shares(rng: np.random.Generator, scale: str, n: int, last: bool) -> np.ndarray:
    if scale == "sample":
        return np.array(P.SAMPLE_VALID_SHARE)
    shares = rng.uniform(*P.VALID_SHARE_RANGE, n)
    if last:
        shares[1] = P.LOW_QUALITY_SHARE  # one provider-year whose report is withheld
    return shares


def _dumps(result: dict, rows: tuple[str, ...]) -> str:
    """Indented JSON, but each row of the long ``rows`` lists on one line: a sixth smaller, and a
    diff still shows which rows changed."""
    marks = {key: f"@rows:{key}@" for key in rows}
    text = json.dumps({k: marks.get(k, v) for k, v in result.items()}, indent=1, sort_keys=True, allow_nan=False)
    for key, mark in marks.items():
        lines = ",\n  ".join(json.dumps(r, sort_keys=True, allow_nan=False, separators=(",", ":")) for r in result[key])
        text = text.replace(json.dumps(mark), f"[\n  {lines}\n ]" if lines else "[]")
    return text


def generate(out: Path, scale: str = "sample", years: list[str] | None = None, seed: int = P.DEFAULT_SEED) -> dict:
    """Write ``<out>/<year>/<Table>``, ``<out>/reference/`` and ``<out>/truth.json``; return the truth."""
    if scale not in P.SCALES:
        raise ValueError(f"scale must be one of {', '.join(P.SCALES)}, not {scale!r}")
    years = list(years or P.DEFAULT_YEARS)
    for y in years:
        contract.year_bounds(y)  # raises on anything but 'YYYY-YY'
    faults.check_codes()
    started = time.perf_counter()
    out, spec = Path(out), P.SCALES[scale]
    rng = np.random.Generator(np.random.PCG64(seed))
    providers = make_providers(rng, scale)
    assign_roles(providers, scale)
    ids = _id_space(providers, spec, len(years))
    reference = out / "reference"
    io.write_table(reference, "Population", spec.fmt, population_table(providers))
    io.write_table(reference, "Providers", spec.fmt, {
        "OrgIDProv": np.array([p.code for p in providers for _ in p.las]),
        "ProviderName": np.array([p.name for p in providers for _ in p.las]),
        "LADistrictAuth": np.array([la for p in providers for la in p.las])})
    result = {"seed": seed, "scale": scale, "coding_convention": "nhs", "years": years, "parameters": {},
              "faults": {}, "expected": [], "ethnicity_valid_share": {}}
    derived, tt_shares, by_year = {}, {}, {}
    states = [{} for _ in providers]
    counters = [{} for _ in providers]
    for yi, year in enumerate(years):
        first, last = contract.year_bounds(year)
        bounds = (_days(first), _days(last))
        valid = _valid_shares(rng, scale, len(providers), yi == len(years) - 1)
        tt_valid = rng.uniform(*P.TT_VALID_SHARE_RANGE, len(providers))
        rates = [stratum_rates(p, int(year[:4])) for p in providers]
        sinks = {t.name: io.Sink(out / year, t.name, spec.fmt) for t in contract.TABLES}
        year_faults, expectations = {}, {}
        for p, r in zip(providers, rates):
            prng = np.random.Generator(np.random.PCG64([seed, yi + 1, p.index]))
            people, states[p.index] = draw_people(prng, p, r, float(valid[p.index]), states[p.index])
            mpi = mpi_columns(prng, p, people, ids)
            events = Events(prng, p, people, mpi["Person_ID"], per_person_rates(r, people), bounds, spec, ids,
                            counters[p.index])
            tables = events.draw()
            year_faults[p.code] = {**faults.apply(prng, events, mpi, ids, spec.faults),
                                   **{f"ethnicity_{k}": v for k, v in people.status_counts.items()}}
            tables["MHS001MPI"] = mpi
            tables["TalkingTherapiesReferral"] = talking_therapies(prng, p, r, float(tt_valid[p.index]), bounds, ids,
                                                                   counters[p.index])
            tables["ExperienceSurvey"] = survey(prng, p, r, year, spec, ids, counters[p.index])
            _check_room(ids, states[p.index], counters[p.index])
            for name, columns in tables.items():
                sinks[name].add(columns)
            expectations[p.code] = truth.provider_expectations(p, r, float(valid[p.index]), float(tt_valid[p.index]),
                                                              spec)
        rows = {name: sink.close() for name, sink in sinks.items()}
        year_faults["ALL"] = {k: sum(f[k] for f in year_faults.values()) for k in next(iter(year_faults.values()))}
        expected, derived[year] = truth.year_truth(year, expectations)
        by_year[year] = expectations
        result["expected"] += expected
        result["faults"][year] = year_faults
        result["ethnicity_valid_share"][year] = {p.code: round(float(valid[p.index]), 6) for p in providers}
        tt_shares[year] = {p.code: round(float(tt_valid[p.index]), 6) for p in providers}
        log.info("synth %s %s: %s", scale, year, ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    result["gap_trends"] = gaps.gap_trends(years, by_year, {p.code: p.trend for p in providers})
    result["parameters"] = {**P.as_dict(), "providers": [p.summary() for p in providers],
                            "talking_therapies_valid_share": tt_shares, "derived": derived,
                            "id_digits": {"person": ids.person_digits, "event": ids.event_digits}}
    text = _dumps(result, rows=("expected", "gap_trends"))
    (out / "truth.json").write_text(text + "\n", encoding="utf-8")
    log.info("synth %s: %s years in %.1f s", scale, len(years), time.perf_counter() - started)
    return json.loads(text)
