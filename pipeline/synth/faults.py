"""Planted data-quality faults (region and national scales), none of which moves an indicator's truth.

Duplicated MHS001MPI rows are exact copies (the pipeline keeps one); contacts of unknown people
are not attended (AC01 unchanged); MHA episodes of unknown people are informal (not detentions);
bad end dates only touch end dates; out-of-year rows are extra rows dated before the year.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipeline import contract
from pipeline.synth import io
from pipeline.synth import params as P
from pipeline.synth.mhsds import Events
from pipeline.synth.persons import IdSpace


def _append(columns: dict, extra: dict) -> None:
    for name, values in extra.items():
        columns[name] = pa.concat_arrays([columns[name], values.cast(columns[name].type)])


def _draw(rng, table: dict, fault: str) -> np.ndarray:
    """Row indices to corrupt or copy: a binomial share of the table's rows."""
    n = len(next(iter(table.values())))
    k = rng.binomial(n, P.FAULTS[fault][1]) if n else 0
    return np.sort(rng.choice(n, k, replace=False)) if k else np.zeros(0, np.int64)


def _unknown(ids: IdSpace, ev: Events, k: int) -> pa.Array:
    start = ev.counters.get("unknown_person", 0)
    ev.counters["unknown_person"] = start + k
    return ids.person_ids(ev.p.index, ids.unknown_serial(k, start))


def apply(rng: np.random.Generator, ev: Events, mpi: dict, ids: IdSpace, enabled: bool) -> dict[str, int]:
    """Corrupt one provider-year's tables in place; returns how many rows each fault touched."""
    counts: dict[str, int] = {}
    spells = ev.tables["MHS501HospProvSpell"]
    start, stop = spells["StartDateHospProvSpell"], spells["stop"].copy()
    if enabled:
        rows = _draw(rng, mpi, "duplicated_person_rows")
        _append(mpi, {k: v.take(pa.array(rows)) for k, v in mpi.items()})
        counts["duplicated_person_rows"] = len(rows)

        con = ev.tables["MHS201CareContact"]
        rows = _draw(rng, con, "contacts_unknown_person")
        extra = {k: v.take(pa.array(rows)) for k, v in con.items()}
        extra.update({"UniqCareContID": ev._ids("C", len(rows)), "Person_ID": _unknown(ids, ev, len(rows)),
                      "AttendOrDNACode": io.repeat("3", len(rows))})
        _append(con, extra)
        counts["contacts_unknown_person"] = len(rows)

        mha = ev.tables["MHS401MHActPeriod"]
        rows = _draw(rng, mha, "mha_unknown_person")
        extra = {k: v.take(pa.array(rows)) for k, v in mha.items()}
        extra.update({"UniqMHActEpisodeID": ev._ids("M", len(rows)), "Person_ID": _unknown(ids, ev, len(rows)),
                      "LegalStatusCode": io.repeat("01", len(rows))})
        rows_end = _draw(rng, mha, "mha_end_before_start")
        rows_old = _draw(rng, mha, "detentions_out_of_year")
        mha_start = np.asarray(mha["StartDateMHActLegalStatusClass"].cast(pa.int32()))
        ends = np.asarray(mha["EndDateMHActLegalStatusClass"].cast(pa.int32()).fill_null(0)).copy()
        ends[rows_end] = mha_start[rows_end] - rng.integers(1, 6, len(rows_end))
        missing = np.asarray(mha["EndDateMHActLegalStatusClass"].is_null())
        missing[rows_end] = False
        mha["EndDateMHActLegalStatusClass"] = io.dates(np.where(missing, 0, ends), missing)
        old = {k: v.take(pa.array(rows_old)) for k, v in mha.items()}
        old.update({"UniqMHActEpisodeID": ev._ids("M", len(rows_old)),
                    "StartDateMHActLegalStatusClass": io.dates(ev.start - rng.integers(1, 300, len(rows_old))),
                    "EndDateMHActLegalStatusClass": io.dates(np.zeros(len(rows_old)), np.ones(len(rows_old), bool))})
        _append(mha, extra)
        _append(mha, old)
        counts.update({"mha_unknown_person": len(rows), "mha_end_before_start": len(rows_end),
                       "detentions_out_of_year": len(rows_old)})

        free = np.flatnonzero((stop <= ev.end) & ~np.isin(np.arange(len(stop)), ev.restrained_spells))
        k = min(len(free), rng.binomial(len(stop), P.FAULTS["spell_end_before_start"][1]))
        bad = np.sort(rng.choice(free, k, replace=False)) if k else np.zeros(0, np.int64)
        stop[bad] = start[bad] - rng.integers(1, 6, len(bad))
        counts["spell_end_before_start"] = len(bad)

        ref = ev.tables["MHS101Referral"]
        rows = _draw(rng, ref, "referrals_out_of_year")
        extra = {k: v.take(pa.array(rows)) for k, v in ref.items()}
        extra.update({"UniqServReqID": ev._ids("R", len(rows)),
                      "ReferralRequestReceivedDate": io.dates(ev.start - rng.integers(1, 400, len(rows))),
                      "ServDischDate": io.dates(np.zeros(len(rows)), np.ones(len(rows), bool))})
        _append(ref, extra)
        counts["referrals_out_of_year"] = len(rows)
    spells["StartDateHospProvSpell"] = io.dates(start)
    spells["DischDateHospProvSpell"] = io.dates(stop, stop > ev.end)
    del spells["stop"]
    return counts


def check_codes() -> None:
    """The planted code lists are the contract's (fails loudly if the contract changes)."""
    assert set(P.DETENTION_SECTIONS) <= set(contract.DETENTION_CODES)
    assert set(P.RESTRICTIVE_TYPES) <= set(contract.RESTRICTIVE_INTERVENTION_TYPES)
    assert set(P.OTHER_SOURCES) <= set(contract.SOURCE_OF_REFERRAL)
    assert set(P.ATTEND_LATER) <= set(contract.ATTEND_OR_DNA)
