"""Generate a synthetic extract folder with a planted, known truth (synthetic.md).

Everything is vectorised with numpy and written with Arrow: people in contact are drawn per
population stratum (provider x local authority x census group x sex x age band) as Poisson
counts, and every event is drawn per person, so the expected count of any indicator in any
*recorded* ethnic group is known exactly (see :mod:`pipeline.synth.truth`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline import contract
from pipeline.synth import params as P
from pipeline.synth.truth import expected_rows, recording_matrix

GROUP_INDEX = {g: i for i, g in enumerate(P.GROUPS)}
ONS = [g.ons_code for g in contract.CENSUS_ETHNIC_GROUPS]
CODES = list(contract.VALID_ETHNIC_CODES)


def generate(out: Path, scale: str = "sample", years: list[str] | None = None, seed: int = P.DEFAULT_SEED) -> dict:
    """Write ``<out>/<year>/<Table>``, ``<out>/reference/`` and ``<out>/truth.json``; return the truth."""
    if scale not in P.SCALES:
        raise ValueError(f"scale must be one of {', '.join(P.SCALES)}, not {scale!r}")
    years = list(years or P.DEFAULT_YEARS)
    for y in years:
        contract.year_bounds(y)
    out = Path(out)
    rng = np.random.Generator(np.random.PCG64(seed))
    providers = _providers(rng, scale)
    strata = _population(rng, providers)
    fmt = "csv" if scale == "sample" else "parquet"
    _write(out / "reference", "Population", strata.rename(columns={
        "la": "LADistrictAuth", "ons": "EthnicGroupCensus", "sex": "Sex", "band": "AgeBand", "count": "Count"
    }).assign(Year=2021), fmt)
    _write(out / "reference", "Providers", pd.DataFrame(
        [(p["code"], p["name"], la) for p in providers for la in p["las"]],
        columns=["OrgIDProv", "ProviderName", "LADistrictAuth"]), fmt)
    truth = {"seed": seed, "scale": scale, "coding_convention": "nhs", "years": years,
             "parameters": _parameters(providers), "faults": {}, "expected": [], "ethnicity_valid_share": {}}
    for index, year in enumerate(years):
        year_rng = np.random.Generator(np.random.PCG64([seed, index + 1]))
        valid = _valid_shares(year_rng, providers, scale, index == len(years) - 1)
        tables, expected, faults = _year(year_rng, year, index, providers, strata, valid, scale)
        for name, frame in tables.items():
            _write(out / year, name, frame, fmt)
        truth["expected"] += expected
        truth["faults"][year] = faults
        truth["ethnicity_valid_share"][year] = {p["code"]: float(v) for p, v in zip(providers, valid)}
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return truth


def _providers(rng: np.random.Generator, scale: str) -> list[dict]:
    n = P.SCALES[scale]["providers"]
    letters = "ABCDEFGHJKLMNPQRTVWXY"
    codes = [f"R{letters[i // len(letters) % len(letters)]}{letters[i % len(letters)]}" for i in range(n)]
    white = P.SAMPLE_WHITE_BRITISH if scale == "sample" else rng.uniform(0.38, 0.93, n)
    out, la = [], 0
    for i, code in enumerate(codes):
        k = 2 if scale == "sample" else int(rng.integers(1, 5))
        out.append({
            "code": code, "name": f"{code} Synthetic Mental Health NHS Trust",
            "las": [f"E0{6 + (la + j) % 3}{(la + j):06d}" for j in range(k)],
            "white_british": float(white[i]),
            "factor": {kind: float(f) for kind, f in zip(P.RATES, rng.uniform(1 - P.PROVIDER_VARIATION,
                                                                              1 + P.PROVIDER_VARIATION, len(P.RATES)))},
        })
        la += k
    return out


def _population(rng: np.random.Generator, providers: list[dict]) -> pd.DataFrame:
    """Resident population per LA x census group x sex x age band (columns provider, la, ons, sex, band, count)."""
    rows = []
    others = {g: s for g, s in P.CENSUS_SHARES.items() if g != 13}
    scale_others = sum(others.values())
    size = P.SCALES[_scale_of(len(providers))]["population"]
    for i, p in enumerate(providers):
        shares = {13: p["white_british"], **{g: s / scale_others * (1 - p["white_british"]) for g, s in others.items()}}
        la_weights = rng.dirichlet(np.full(len(p["las"]), 4.0))
        for la, w in zip(p["las"], la_weights):
            for ons in ONS:
                ages = P.AGE_SHARES["older" if ons in P.OLDER_GROUPS else "younger"]
                for sex in contract.SEX_CODES:
                    for band in contract.AGE_BANDS:
                        rows.append((i, la, ons, sex, band, size * w * shares[ons] * ages[band] / 2))
    frame = pd.DataFrame(rows, columns=["provider", "la", "ons", "sex", "band", "expected"])
    frame["count"] = rng.poisson(frame["expected"]).astype(np.int64)
    return frame.drop(columns="expected")


def _scale_of(n_providers: int) -> str:
    return next(s for s, c in P.SCALES.items() if c["providers"] == n_providers)


def _valid_shares(rng, providers, scale, last_year) -> np.ndarray:
    if scale == "sample":
        return np.array(P.SAMPLE_VALID_SHARE)
    shares = rng.uniform(*P.VALID_SHARE_RANGE, len(providers))
    if last_year:
        shares[1] = P.LOW_QUALITY_SHARE
    return shares


def _rates(strata: pd.DataFrame, providers: list[dict], kind: str) -> np.ndarray:
    """Per person per year for each stratum: group rate x age factor x sex factor x provider factor."""
    group = strata["ons"].map(P.nhs_group)
    axis = P.RATE_AGE_SEX[kind]
    rate = group.map(P.RATES[kind]).to_numpy(float)
    rate = rate * strata["band"].map(P.AGE_FACTORS[axis]).to_numpy(float)
    rate = rate * strata["sex"].map(P.SEX_FACTORS[axis]).to_numpy(float)
    return rate * np.array([providers[i]["factor"][kind] for i in strata["provider"]])


def _year(rng, year, index, providers, strata, valid, scale):
    start, end = (np.datetime64(d).astype(np.int64) for d in contract.year_bounds(year))
    ndays = end - start + 1
    rates = {kind: _rates(strata, providers, kind) for kind in P.RATES}
    counts = strata["count"].to_numpy(float)
    # people in contact, and people referred but never seen
    n_seen = rng.poisson(counts * rates["contact"])
    n_unseen = rng.poisson(counts * rates["contact"] * P.NOT_SEEN_SHARE)
    stratum = np.concatenate([np.repeat(np.arange(len(strata)), n_seen), np.repeat(np.arange(len(strata)), n_unseen)])
    seen = np.concatenate([np.ones(n_seen.sum(), bool), np.zeros(n_unseen.sum(), bool)])
    n = len(stratum)
    prov = strata["provider"].to_numpy()[stratum]
    ons = strata["ons"].to_numpy()[stratum]
    true_code = pd.Series(ons).map({o: P.nhs_code(o) for o in ONS}).to_numpy()
    group = pd.Series(ons).map(P.nhs_group).to_numpy()
    lo_hi = np.array([contract.AGE_BAND_BOUNDS[b] for b in contract.AGE_BANDS])
    band_idx = pd.Series(strata["band"].to_numpy()[stratum]).map({b: i for i, b in enumerate(contract.AGE_BANDS)}).to_numpy()
    age = rng.integers(lo_hi[band_idx, 0], np.minimum(lo_hi[band_idx, 1], 94) + 1)
    imd = rng.integers(1, 11, n)
    recorded = _record(rng, true_code, group, valid[prov])
    person_id = _ids(f"P{year[2:4]}", n, rng)
    sex = strata["sex"].to_numpy()[stratum].astype(object)
    odd_sex = rng.random(n) < 0.005
    sex[odd_sex] = rng.choice(["9", "X"], odd_sex.sum())
    codes = np.array([p["code"] for p in providers])
    mpi = pd.DataFrame({
        "Person_ID": person_id, "OrgIDProv": codes[prov], "EthnicCategory": recorded, "Gender": sex,
        "AgeRepPeriodEnd": age, "LADistrictAuth": strata["la"].to_numpy()[stratum],
        "IMD_Decile": pd.array(np.where(rng.random(n) < 0.03, -1, imd), dtype="Int64").astype("Int64"),
    })
    mpi.loc[mpi["IMD_Decile"] < 0, "IMD_Decile"] = pd.NA

    per_person = {k: np.divide(rates[k], rates["contact"], out=np.zeros(len(strata)), where=rates["contact"] > 0)[stratum]
                  * seen for k in P.RATES if k not in ("contact", "talking_therapies")}
    ratio = P.IMD_RATIO ** (1 / 9)
    imd_factor = ratio ** (10 - np.arange(1, 11))
    imd_factor = imd_factor / imd_factor.mean()
    tables = {"MHS001MPI": mpi}
    tables.update(_mhsds_events(rng, mpi, seen, group, per_person, imd_factor[imd - 1], start, ndays, scale, year))
    tables["TalkingTherapiesReferral"] = _talking_therapies(rng, strata, rates["talking_therapies"], codes, start, ndays, year)
    tables["ExperienceSurvey"] = _survey(rng, mpi[seen], true_code[seen], codes, year, scale)
    faults = _faults(rng, tables, scale, codes, start)
    matrix = recording_matrix(valid)
    expected = expected_rows(year, strata, rates, matrix, codes, P.SCALES[scale])
    return {t.name: tables[t.name][t.column_names] for t in contract.TABLES}, expected, faults



def _record(rng, true_code, group, valid_share) -> np.ndarray:
    """Recorded EthnicCategory: valid (with misclassification and presentation quirks) or not."""
    n = len(true_code)
    out = true_code.astype(object).copy()
    u = rng.random(n)
    other = rng.random(n) < P.MISCLASSIFY_OTHER_GROUP
    picks = rng.integers(0, len(P.GROUPS) - 1, n)
    for gi, g in enumerate(P.GROUPS):
        mask = other & (group == g)
        choices = np.array([P.ANY_OTHER[h] for h in P.GROUPS if h != g])
        out[mask] = choices[picks[mask]]
    to_p = ~other & np.isin(true_code, ["M", "N"]) & (rng.random(n) < P.BLACK_TO_OTHER_BLACK)
    out[to_p] = "P"
    quirk = rng.random(n)
    padded = quirk < P.PADDED_SHARE
    out[padded] = " " + out[padded] + " "
    sub = (quirk >= P.PADDED_SHARE) & (quirk < P.PADDED_SHARE + P.SUBCODE_SHARE)
    out[sub] = out[sub] + "A"
    invalid = u >= valid_share
    kinds = list(P.NOT_VALID_SPLIT)
    kind = rng.choice(len(kinds), n, p=list(P.NOT_VALID_SPLIT.values()))
    values = np.array(["Z", "99", "", ""], dtype=object)[kind]
    bad = kind == kinds.index("invalid")
    values[bad] = rng.choice(P.INVALID_CODES, bad.sum())
    values[kind == kinds.index("blank")] = None
    out[invalid] = values[invalid]
    return out


def _ids(prefix: str, n: int, rng) -> np.ndarray:
    numbers = rng.permutation(n) + 1
    width = max(7, len(str(n)))
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0"),
                                       "").to_numpy(zero_copy_only=False)


def _dates(base, days) -> pd.Series:
    return pd.Series((np.asarray(base) + np.asarray(days)).astype("datetime64[D]"))


def _mhsds_events(rng, mpi, seen, group, per_person, imd_factor, start, ndays, scale, year):
    n = len(mpi)
    pid, org = mpi["Person_ID"].to_numpy(), mpi["OrgIDProv"].to_numpy()
    yy = year[2:4]
    # referrals: every person has at least one; the first of a seen person has an attended contact
    n_ref = 1 + rng.poisson(P.SCALES[scale]["referrals_per_person"], n)
    owner = np.repeat(np.arange(n), n_ref)
    ref_date = start + rng.integers(0, ndays - 1, len(owner))
    justice = rng.random(len(owner)) < pd.Series(group[owner]).map(P.JUSTICE_SHARE).to_numpy()
    ed = ~justice & (rng.random(len(owner)) < P.ED_SHARE)
    source = rng.choice(["A1", "B1", "C1", "A3", "P1", "M7"], len(owner), p=[0.5, 0.15, 0.1, 0.1, 0.1, 0.05]).astype(object)
    source[justice] = rng.choice(list(contract.JUSTICE_REFERRAL_CODES), justice.sum())
    source[ed] = "H1"
    ref_id = _ids(f"R{yy}", len(owner), rng)
    referrals = pd.DataFrame({
        "UniqServReqID": ref_id, "Person_ID": pid[owner], "OrgIDProv": org[owner],
        "ReferralRequestReceivedDate": _dates(ref_date, 0), "SourceOfReferralMH": source,
        "ServTeamTypeRefToMH": rng.choice(["A05", "C02", "A02", "A08"], len(owner)),
        "ClinRespPriorityType": rng.choice(["1", "2", "3", "4"], len(owner), p=[0.05, 0.25, 0.65, 0.05]),
        "ServDischDate": _dates(np.minimum(ref_date + rng.integers(30, 300, len(owner)), start + ndays + 200), 0),
    })
    referrals.loc[rng.random(len(owner)) < 0.4, "ServDischDate"] = pd.NaT
    # contacts: 1 + Poisson per referral, all inside the year after the referral
    mean = P.SCALES[scale]["contacts_per_referral"]
    n_con = 1 + rng.poisson(mean - 1, len(owner))
    ref_of = np.repeat(np.arange(len(owner)), n_con)
    first = np.r_[True, ref_of[1:] != ref_of[:-1]]
    offset = np.where(first, rng.integers(0, 60, len(ref_of)), rng.integers(0, 365, len(ref_of)))
    day = np.minimum(ref_date[ref_of] + offset, start + ndays - 1)
    attend = rng.choice(["5", "6", "3", "2", "4"], len(ref_of), p=[0.78, 0.07, 0.1, 0.03, 0.02]).astype(object)
    person_seen = seen[owner[ref_of]]
    attend[first & person_seen] = "5"
    attend[~person_seen] = rng.choice(["3", "2"], (~person_seen).sum())
    contacts = pd.DataFrame({
        "UniqCareContID": _ids(f"C{yy}", len(ref_of), rng), "UniqServReqID": ref_id[ref_of],
        "Person_ID": pid[owner[ref_of]], "OrgIDProv": org[owner[ref_of]], "CareContDate": _dates(day, 0),
        "AttendOrDNACode": attend,
    })
    # Mental Health Act: detentions (with the IMD gradient), section 136; CTOs
    n_det = rng.poisson(per_person["detention"] * imd_factor)
    det_owner = np.repeat(np.arange(n), n_det)
    det_start = start + rng.integers(0, ndays, len(det_owner))
    det_code = rng.choice(["02", "03", "10", "04"], len(det_owner), p=[0.5, 0.42, 0.05, 0.03])
    n_136 = rng.poisson(per_person["section136"])
    s136_owner = np.repeat(np.arange(n), n_136)
    mha_owner = np.r_[det_owner, s136_owner]
    mha_start = np.r_[det_start, start + rng.integers(0, ndays, len(s136_owner))]
    mha_code = np.r_[det_code, np.full(len(s136_owner), contract.SECTION_136_CODE)]
    mha_end = mha_start + np.where(mha_code == "02", 28, np.where(mha_code == "20", 1, rng.integers(40, 200, len(mha_code))))
    mha = pd.DataFrame({
        "UniqMHActEpisodeID": _ids(f"M{yy}", len(mha_owner), rng), "Person_ID": pid[mha_owner],
        "OrgIDProv": org[mha_owner], "StartDateMHActLegalStatusClass": _dates(mha_start, 0),
        "EndDateMHActLegalStatusClass": _dates(mha_end, 0), "LegalStatusCode": mha_code,
    })
    mha.loc[mha_end > start + ndays - 1, "EndDateMHActLegalStatusClass"] = pd.NaT
    n_cto = rng.poisson(per_person["cto"])
    cto_owner = np.repeat(np.arange(n), n_cto)
    cto_start = start + rng.integers(0, ndays, len(cto_owner))
    cto = pd.DataFrame({
        "UniqCommTreatOrdID": _ids(f"T{yy}", len(cto_owner), rng), "Person_ID": pid[cto_owner],
        "OrgIDProv": org[cto_owner], "StartDateCommTreatOrd": _dates(cto_start, 0),
        "EndDateCommTreatOrd": _dates(cto_start + 180, 0),
    })
    cto.loc[cto_start + 180 > start + ndays - 1, "EndDateCommTreatOrd"] = pd.NaT
    # hospital spells: one per detention, informal admissions, and one for anyone restrained without one
    restrained = rng.random(n) < np.minimum(per_person["restrictive"], 1)
    n_inf = rng.poisson(per_person["informal_admission"])
    inf_owner = np.repeat(np.arange(n), n_inf)
    has_spell = np.zeros(n, bool)
    has_spell[det_owner] = True
    has_spell[inf_owner] = True
    extra = np.flatnonzero(restrained & ~has_spell)
    sp_owner = np.r_[det_owner, inf_owner, extra]
    sp_start = np.r_[np.maximum(det_start - rng.integers(0, 2, len(det_owner)), start),
                     start + rng.integers(0, ndays, len(inf_owner) + len(extra))]
    los = 1 + rng.geometric(1 / 30, len(sp_owner))
    sp_end = sp_start + los
    sp_id = _ids(f"S{yy}", len(sp_owner), rng)
    spells = pd.DataFrame({
        "UniqHospProvSpellID": sp_id, "Person_ID": pid[sp_owner], "OrgIDProv": org[sp_owner],
        "StartDateHospProvSpell": _dates(sp_start, 0), "DischDateHospProvSpell": _dates(sp_end, 0),
    })
    spells.loc[sp_end > start + ndays - 1, "DischDateHospProvSpell"] = pd.NaT
    # restrictive interventions: incidents within a spell of the restrained person, in the year
    first_spell = pd.Series(np.arange(len(sp_owner))).groupby(sp_owner).first()
    ri_person = np.flatnonzero(restrained)
    ri_spell = first_spell.reindex(ri_person).to_numpy()
    n_inc = 1 + rng.poisson(1.5, len(ri_person))
    inc_spell = np.repeat(ri_spell, n_inc)
    span = np.maximum(np.minimum(sp_end[inc_spell], start + ndays - 1) - sp_start[inc_spell], 0)
    inc_day = sp_start[inc_spell] + (rng.random(len(inc_spell)) * (span + 1)).astype(np.int64)
    inc_id = _ids(f"I{yy}", len(inc_spell), rng)
    incidents = pd.DataFrame({
        "RestrictiveIntIncID": inc_id, "UniqHospProvSpellID": sp_id[inc_spell], "Person_ID": pid[sp_owner[inc_spell]],
        "OrgIDProv": org[sp_owner[inc_spell]], "StartDateRestrictiveIntInc": _dates(inc_day, 0),
    })
    n_types = 1 + rng.poisson(0.4, len(inc_spell))
    type_inc = np.repeat(np.arange(len(inc_spell)), n_types)
    types = pd.DataFrame({
        "RestrictiveIntTypeID": _ids(f"Y{yy}", len(type_inc), rng), "RestrictiveIntIncID": inc_id[type_inc],
        "OrgIDProv": org[sp_owner[inc_spell[type_inc]]],
        "RestrictiveIntType": rng.choice(["01", "05", "14", "13", "09", "16", "06", "04"], len(type_inc),
                                         p=[0.15, 0.15, 0.15, 0.25, 0.1, 0.1, 0.05, 0.05]),
        "StartDateRestrictiveIntType": _dates(inc_day[type_inc], 0), "EndDateRestrictiveIntType": _dates(inc_day[type_inc], 0),
    })
    # ReQoL-10: first and last score for some referrals
    scored = np.flatnonzero(rng.random(len(owner)) < P.SCALES[scale]["reqol_share"])
    first_score = np.clip(np.round(rng.normal(18, 6, len(scored))), 0, 40).astype(int)
    last_score = np.clip(first_score + np.round(rng.normal(3, 6, len(scored))), 0, 40).astype(int)
    reqol = pd.DataFrame({
        "UniqServReqID": np.r_[ref_id[scored], ref_id[scored]], "Person_ID": np.r_[pid[owner[scored]], pid[owner[scored]]],
        "OrgIDProv": np.r_[org[owner[scored]], org[owner[scored]]], "CodedAssToolType": contract.REQOL10_TOOL,
        "PersScore": np.r_[first_score, last_score],
        "AssToolCompDate": _dates(np.r_[ref_date[scored] + 7, np.minimum(ref_date[scored] + 90, start + ndays - 1)], 0),
    })
    return {"MHS101Referral": referrals, "MHS201CareContact": contacts, "MHS401MHActPeriod": mha,
            "MHS404CommTreatOrder": cto, "MHS501HospProvSpell": spells, "MHS505RestrictiveInterventInc": incidents,
            "MHS515RestrictiveInterventType": types, "MHS606CodedScoreAssessmentRefer": reqol}


def _talking_therapies(rng, strata, rate, codes, start, ndays, year):
    counts = rng.poisson(strata["count"].to_numpy(float) * rate)
    s = np.repeat(np.arange(len(strata)), counts)
    n = len(s)
    ons = strata["ons"].to_numpy()[s]
    group = pd.Series(ons).map(P.nhs_group).to_numpy()
    true_code = pd.Series(ons).map({o: P.nhs_code(o) for o in ONS}).to_numpy().astype(object)
    recorded = true_code.copy()
    recorded[rng.random(n) >= P.TT_VALID_SHARE] = "Z"
    ended = rng.random(n) < P.TT_ENDED_IN_YEAR
    end_day = start + rng.integers(0, ndays, n)
    ref_day = np.where(ended, end_day - rng.integers(30, 200, n), start + rng.integers(0, ndays, n))
    finished = ended & (rng.random(n) < pd.Series(group).map(P.TT_FINISHED).to_numpy())
    treated = finished | (rng.random(n) < 0.5)
    case_start = rng.random(n) < P.TT_CASENESS
    recovered = finished & case_start & (rng.random(n) < pd.Series(group).map(P.TT_RECOVERY).to_numpy())
    phq_first = np.where(case_start, rng.integers(10, 28, n), rng.integers(0, 10, n))
    gad_first = np.where(case_start, rng.integers(8, 22, n), rng.integers(0, 8, n))
    phq_last = np.where(recovered, np.minimum(np.maximum(phq_first - 6 - rng.integers(0, 6, n), 0), 9),
                        np.where(case_start, rng.integers(10, 28, n), rng.integers(0, 10, n)))
    gad_last = np.where(recovered, np.minimum(np.maximum(gad_first - 4 - rng.integers(0, 4, n), 0), 7),
                        rng.integers(0, 22, n))
    sessions = np.where(finished, 2 + rng.poisson(5, n), rng.integers(0, 2, n))
    frame = pd.DataFrame({
        "PathwayID": _ids(f"W{year[2:4]}", n, rng), "Person_ID": _ids(f"Q{year[2:4]}", n, rng),
        "OrgIDProv": codes[strata["provider"].to_numpy()[s]], "EthnicCategory": recorded,
        "ReferralRequestReceivedDate": _dates(ref_day, 0),
        "FirstTreatmentDate": _dates(ref_day + rng.integers(14, 60, n), 0),
        "EndDate": _dates(end_day, 0), "TreatmentSessions": sessions,
        "PHQ9_First": phq_first, "PHQ9_Last": pd.array(phq_last, dtype="Int64"),
        "GAD7_First": gad_first, "GAD7_Last": pd.array(gad_last, dtype="Int64"),
    })
    frame.loc[~treated, "FirstTreatmentDate"] = pd.NaT
    frame.loc[~ended, "EndDate"] = pd.NaT
    frame.loc[~finished, ["PHQ9_Last", "GAD7_Last"]] = pd.NA
    return frame


def _survey(rng, seen_mpi, true_code, codes, year, scale):
    per = P.SCALES[scale]["survey"]
    rows = []
    for code in codes:
        idx = np.flatnonzero(seen_mpi["OrgIDProv"].to_numpy() == code)
        rows.append(rng.choice(idx, per, replace=len(idx) < per))
    pick = np.concatenate(rows)
    n = len(pick)
    tc = true_code[pick].astype(object)
    good_p = np.where(tc == "A", P.GOOD_EXPERIENCE["A"], P.GOOD_EXPERIENCE["minority"])
    good = rng.random(n) < good_p
    score = np.where(good, rng.integers(7, 11, n), rng.integers(0, 7, n))
    recorded = tc.copy()
    recorded[rng.random(n) < 0.05] = None
    ages = np.array(contract.SURVEY_AGE_BANDS)[rng.integers(0, len(contract.SURVEY_AGE_BANDS), n)]
    answers = lambda p: pd.array(rng.choice([1, 2, 3], n, p=p), dtype="Int64")  # noqa: E731
    frame = pd.DataFrame({
        "RespondentID": _ids(f"V{year[2:4]}", n, rng), "OrgIDProv": seen_mpi["OrgIDProv"].to_numpy()[pick],
        "SurveyYear": year, "EthnicCategory": recorded, "Gender": seen_mpi["Gender"].to_numpy()[pick],
        "AgeBand": ages, "OverallExperience": pd.array(score, dtype="Int64"),
        "DignityRespect": answers([0.6, 0.3, 0.1]), "FeltListenedTo": answers([0.5, 0.35, 0.15]),
        "KnewCrisisContact": answers([0.55, 0.2, 0.25]),
    })
    frame.loc[rng.random(n) < 0.03, "OverallExperience"] = pd.NA
    return frame


def _faults(rng, tables, scale, codes, start) -> dict:
    """Data-quality faults at known rates (region and national only); none changes an indicator's truth."""
    if scale == "sample":
        return {}
    counts = {}
    mpi = tables["MHS001MPI"]
    dup = mpi.sample(frac=P.FAULTS["duplicated_persons"], random_state=rng.integers(1 << 31))
    tables["MHS001MPI"] = pd.concat([mpi, dup], ignore_index=True)
    counts["duplicated_persons"] = len(dup)
    con = tables["MHS201CareContact"]
    unknown = con.sample(frac=P.FAULTS["contacts_unknown_person"], random_state=rng.integers(1 << 31)).copy()
    unknown["Person_ID"] = "U" + unknown["Person_ID"].str[1:]
    unknown["UniqCareContID"] = "X" + unknown["UniqCareContID"].str[1:]
    unknown["AttendOrDNACode"] = "3"  # not attended, so AC01's truth is unchanged
    tables["MHS201CareContact"] = pd.concat([con, unknown], ignore_index=True)
    counts["contacts_unknown_person"] = len(unknown)
    spells = tables["MHS501HospProvSpell"]
    linked = set(tables["MHS505RestrictiveInterventInc"]["UniqHospProvSpellID"])
    free = spells[spells["DischDateHospProvSpell"].notna() & ~spells["UniqHospProvSpellID"].isin(linked)]
    flip = free.sample(frac=min(1.0, P.FAULTS["spell_end_before_start"] * len(spells) / max(len(free), 1)),
                       random_state=rng.integers(1 << 31)).index
    spells.loc[flip, "DischDateHospProvSpell"] = spells.loc[flip, "StartDateHospProvSpell"] - pd.Timedelta(days=3)
    counts["spell_end_before_start"] = len(flip)
    refs = tables["MHS101Referral"]
    old = refs.sample(frac=P.FAULTS["referrals_out_of_year"], random_state=rng.integers(1 << 31)).copy()
    old["UniqServReqID"] = "O" + old["UniqServReqID"].str[1:]
    old["ReferralRequestReceivedDate"] = old["ReferralRequestReceivedDate"] - pd.Timedelta(days=400)
    tables["MHS101Referral"] = pd.concat([refs, old], ignore_index=True)
    counts["referrals_out_of_year"] = len(old)
    return counts


def _parameters(providers) -> dict:
    return {
        "census_shares": {str(k): v for k, v in P.CENSUS_SHARES.items()}, "age_shares": P.AGE_SHARES,
        "rates_per_person_year": P.RATES, "age_factors": P.AGE_FACTORS, "sex_factors": P.SEX_FACTORS,
        "imd_ratio_decile1_to_10": P.IMD_RATIO, "justice_referral_share": P.JUSTICE_SHARE,
        "talking_therapies_finished": P.TT_FINISHED, "talking_therapies_recovery": P.TT_RECOVERY,
        "good_experience": P.GOOD_EXPERIENCE, "not_valid_split": P.NOT_VALID_SPLIT,
        "misclassify_other_group": P.MISCLASSIFY_OTHER_GROUP, "black_to_other_black": P.BLACK_TO_OTHER_BLACK,
        "fault_rates": P.FAULTS,
        "providers": [{k: p[k] for k in ("code", "name", "las", "white_british", "factor")} for p in providers],
    }


def _write(folder: Path, name: str, frame: pd.DataFrame, fmt: str) -> Path:
    """One table with the contract's column types; CSV (ISO dates, blanks for nulls) or Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    table = contract.table(name)
    arrow = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "DATE": pa.date32(),
             "DOUBLE": pa.float64()}
    columns = {}
    for col in table.columns:
        values = frame[col.name]
        if col.type == "DATE":
            values = pd.to_datetime(values).dt.date
        elif col.type == "VARCHAR":
            values = values.astype(object).where(values.notna(), None)
        columns[col.name] = pa.array(values, type=arrow[col.type], from_pandas=True)
    data = pa.table(columns)
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(data, path, compression="zstd")
    return path
