"""MHSDS event tables for one provider-year, every row tied to a person of that provider-year.

Referrals belong to people; contacts to referrals (same person and provider); detentions,
CTOs and hospital spells to seen people; restrictive interventions to people with a spell,
on a day inside the spell and the year; intervention types to incidents; ReQoL-10 pairs to
referrals. Days are integers since 1970-01-01.
"""

from __future__ import annotations

import numpy as np

from pipeline import contract
from pipeline.synth import io
from pipeline.synth import params as P
from pipeline.synth.persons import IdSpace, People
from pipeline.synth.population import Provider, imd_mix


def _pick(rng, weights: dict, n: int) -> np.ndarray:
    return rng.choice(len(weights), n, p=np.array(list(weights.values())) / sum(weights.values()))


def _within(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform whole day in [lo, hi] (element-wise)."""
    return lo + (rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


class Events:
    """Draws one provider-year's MHSDS tables into a dict of column dicts."""

    def __init__(self, rng, p: Provider, people: People, person_ids, per_person: dict, year: tuple[int, int],
                 spec: P.Scale, ids: IdSpace, counters: dict):
        self.rng, self.p, self.people, self.pid, self.rate = rng, p, people, person_ids, per_person
        self.start, self.end = year
        self.spec, self.ids, self.counters = spec, ids, counters
        self.tables: dict[str, dict] = {}

    def _ids(self, letter: str, n: int):
        start = self.counters.get(letter, 0)
        self.counters[letter] = start + n
        return self.ids.events(letter, self.p.index, start, n)

    def _org(self, n: int):
        return io.repeat(self.p.code, n)

    def draw(self) -> dict[str, dict]:
        self.referrals_and_contacts()
        self.mental_health_act()
        self.spells_and_restraint()
        self.reqol()
        return self.tables

    def referrals_and_contacts(self) -> None:
        rng, people = self.rng, self.people
        n_ref = 1 + rng.poisson(self.spec.extra_referrals, len(people))
        owner = np.repeat(np.arange(len(people)), n_ref)
        m = len(owner)
        day = self.start + rng.integers(0, self.end - self.start + 1, m)
        justice = rng.random(m) < self.rate["justice"][owner]
        emergency = ~justice & (rng.random(m) < P.ED_SHARE)
        vocab = list(P.OTHER_SOURCES) + list(contract.JUSTICE_REFERRAL_CODES) + list(contract.EMERGENCY_DEPARTMENT_CODES)
        source = _pick(rng, P.OTHER_SOURCES, m)
        source[justice] = len(P.OTHER_SOURCES) + rng.integers(0, len(contract.JUSTICE_REFERRAL_CODES), justice.sum())
        source[emergency] = len(vocab) - 1
        discharge = day + rng.integers(30, 300, m)
        self.ref_ids = self._ids("R", m)
        self.ref_owner, self.ref_day = owner, day
        self.tables["MHS101Referral"] = {
            "UniqServReqID": self.ref_ids, "Person_ID": self.pid.take(owner), "OrgIDProv": self._org(m),
            "ReferralRequestReceivedDate": io.dates(day), "SourceOfReferralMH": io.codes(vocab, source),
            "ServTeamTypeRefToMH": io.codes(["A05", "C02", "A02", "A08", "C10"], rng.integers(0, 5, m)),
            "ClinRespPriorityType": io.codes(list(contract.CLINICAL_PRIORITY), _pick(rng, P.PRIORITY, m)),
            "ServDischDate": io.dates(discharge, (discharge > self.end) | (rng.random(m) < 0.3)),
        }
        # contacts: a seen person's referral starts with an attended contact within 45 days
        seen = people.seen[owner]
        n_con = np.where(seen, 1 + rng.poisson(self.spec.contacts_per_referral - 1, m), rng.poisson(0.3, m))
        ref = np.repeat(np.arange(m), n_con)
        first = np.r_[True, ref[1:] != ref[:-1]] if len(ref) else np.zeros(0, bool)
        left = self.end - day[ref]
        offset = (rng.random(len(ref)) * np.minimum(45, left + 1)).astype(np.int64)
        first_day = np.zeros(m, np.int64)
        first_day[ref[first]] = day[ref[first]] + offset[first]
        cday = np.where(first, day[ref] + offset, _within(rng, first_day[ref], np.full(len(ref), self.end)))
        attend_vocab = list(P.ATTEND_LATER)
        attend = _pick(rng, P.ATTEND_LATER, len(ref))
        attend[first & seen[ref]] = rng.integers(0, 2, (first & seen[ref]).sum())  # '5' or '6'
        never = ~seen[ref]
        attend[never] = 2 + rng.integers(0, 4, never.sum())  # did not attend or cancelled: '3','2','4','7'
        self.tables["MHS201CareContact"] = {
            "UniqCareContID": self._ids("C", len(ref)), "UniqServReqID": self.ref_ids.take(ref),
            "Person_ID": self.pid.take(owner[ref]), "OrgIDProv": self._org(len(ref)), "CareContDate": io.dates(cday),
            "AttendOrDNACode": io.codes(attend_vocab, attend),
        }

    def mental_health_act(self) -> None:
        rng, n = self.rng, len(self.people)
        _, imd_factor = imd_mix(self.p)
        n_det = rng.poisson(self.rate["detention"] * imd_factor[self.people.imd - 1])
        n_136 = rng.poisson(self.rate["section136"])
        det_owner, s136_owner = np.repeat(np.arange(n), n_det), np.repeat(np.arange(n), n_136)
        owner = np.r_[det_owner, s136_owner]
        vocab = list(P.DETENTION_SECTIONS) + [contract.SECTION_136_CODE]
        code = np.r_[_pick(rng, P.DETENTION_SECTIONS, len(det_owner)), np.full(len(s136_owner), len(vocab) - 1)]
        start = self.start + rng.integers(0, self.end - self.start + 1, len(owner))
        length = np.where(code == 0, 28, np.where(code == len(vocab) - 1, 1, rng.integers(40, 200, len(owner))))
        self.det_owner, self.det_start = det_owner, start[: len(det_owner)]
        self.tables["MHS401MHActPeriod"] = {
            "UniqMHActEpisodeID": self._ids("M", len(owner)), "Person_ID": self.pid.take(owner),
            "OrgIDProv": self._org(len(owner)), "StartDateMHActLegalStatusClass": io.dates(start),
            "EndDateMHActLegalStatusClass": io.dates(start + length, start + length > self.end),
            "LegalStatusCode": io.codes(vocab, code),
        }
        cto_owner = np.repeat(np.arange(n), rng.poisson(self.rate["cto"]))
        cto_start = self.start + rng.integers(0, self.end - self.start + 1, len(cto_owner))
        self.tables["MHS404CommTreatOrder"] = {
            "UniqCommTreatOrdID": self._ids("T", len(cto_owner)), "Person_ID": self.pid.take(cto_owner),
            "OrgIDProv": self._org(len(cto_owner)), "StartDateCommTreatOrd": io.dates(cto_start),
            "EndDateCommTreatOrd": io.dates(cto_start + 180, cto_start + 180 > self.end),
        }

    def spells_and_restraint(self) -> None:
        rng, n, end = self.rng, len(self.people), self.end
        restrained = rng.random(n) < np.minimum(self.rate["restrictive"], 1.0)
        inf_owner = np.repeat(np.arange(n), rng.poisson(self.rate["informal_admission"]))
        has = np.zeros(n, bool)
        has[self.det_owner] = True
        has[inf_owner] = True
        extra = np.flatnonzero(restrained & ~has)
        owner = np.r_[self.det_owner, inf_owner, extra]
        start = np.r_[np.maximum(self.det_start - rng.integers(0, 2, len(self.det_owner)), self.start),
                      self.start + rng.integers(0, end - self.start + 1, len(inf_owner) + len(extra))]
        stop = start + rng.geometric(1 / P.MEAN_STAY_DAYS, len(owner))
        spell_ids = self._ids("S", len(owner))
        self.spells = {"UniqHospProvSpellID": spell_ids, "Person_ID": self.pid.take(owner),
                       "OrgIDProv": self._org(len(owner)), "StartDateHospProvSpell": start, "stop": stop}
        self.tables["MHS501HospProvSpell"] = self.spells
        # incidents: inside the restrained person's first spell and inside the year
        owners, first = np.unique(owner, return_index=True)
        spell = first[np.searchsorted(owners, np.flatnonzero(restrained))]
        # incidents per restrained person: mean (1 + incidents_per_person) x the planted factor (trends.plant)
        mean = (1 + self.spec.incidents_per_person) * self.rate["incidents"][restrained]
        inc_spell = np.repeat(spell, 1 + rng.poisson(np.maximum(mean - 1, 0.0)))
        inc_day = _within(rng, start[inc_spell], np.minimum(stop[inc_spell], end))
        inc_ids = self._ids("I", len(inc_spell))
        self.restrained_spells = np.unique(spell)
        self.tables["MHS505RestrictiveInterventInc"] = {
            "RestrictiveIntIncID": inc_ids, "UniqHospProvSpellID": spell_ids.take(inc_spell),
            "Person_ID": self.pid.take(owner[inc_spell]), "OrgIDProv": self._org(len(inc_spell)),
            "StartDateRestrictiveIntInc": io.dates(inc_day),
        }
        inc = np.repeat(np.arange(len(inc_spell)), 1 + rng.poisson(P.TYPES_PER_INCIDENT, len(inc_spell)))
        kind = _pick(rng, P.RESTRICTIVE_TYPES, len(inc))
        long = np.isin(np.array(list(P.RESTRICTIVE_TYPES))[kind], ["05", "06"])  # seclusion, segregation
        t_end = inc_day[inc] + np.where(long, rng.integers(0, 4, len(inc)), rng.integers(0, 2, len(inc)))
        self.tables["MHS515RestrictiveInterventType"] = {
            "RestrictiveIntTypeID": self._ids("Y", len(inc)), "RestrictiveIntIncID": inc_ids.take(inc),
            "OrgIDProv": self._org(len(inc)), "RestrictiveIntType": io.codes(list(P.RESTRICTIVE_TYPES), kind),
            "StartDateRestrictiveIntType": io.dates(inc_day[inc]),
            "EndDateRestrictiveIntType": io.dates(t_end, t_end > end),
        }

    def reqol(self) -> None:
        rng, end = self.rng, self.end
        left = end - self.ref_day
        chosen = np.flatnonzero(self.people.seen[self.ref_owner] & (rng.random(len(self.ref_day)) < self.spec.reqol_share)
                                & (left >= 21))
        k = len(chosen)
        first_day = self.ref_day[chosen] + rng.integers(0, 8, k)
        last_day = _within(rng, first_day + 14, np.minimum(first_day + 150, end))
        first = np.clip(np.round(rng.normal(18, 6, k)), 0, 40)
        last = np.clip(first + np.round(rng.normal(3, 6, k)), 0, 40)
        both = np.r_[chosen, chosen]
        self.tables["MHS606CodedScoreAssessmentRefer"] = {
            "UniqServReqID": self.ref_ids.take(both), "Person_ID": self.pid.take(self.ref_owner[both]),
            "OrgIDProv": self._org(2 * k), "CodedAssToolType": io.repeat(contract.REQOL10_TOOL, 2 * k),
            "PersScore": io.ints(np.r_[first, last]), "AssToolCompDate": io.dates(np.r_[first_day, last_day]),
        }
