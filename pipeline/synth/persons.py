"""People in contact with one provider in one year (MHS001MPI), drawn per population stratum.

People in contact are Poisson per stratum (population x contact rate), plus people referred
but never seen. A share of each stratum's people were in the provider's index last year and
keep their Person_ID; ids are pseudonymised by a bijective scramble so they are unique.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline import contract
from pipeline.synth import io
from pipeline.synth import params as P
from pipeline.synth.ethnicity import draw_mpi
from pipeline.synth.population import SEXES, Provider, imd_mix

_SCRAMBLE = 1_234_567_891  # odd and not a multiple of 5: multiplying permutes 0..10^w - 1


@dataclass
class IdSpace:
    """Where identifiers come from: person blocks per provider, serial widths."""

    person_digits: int  # digits of a provider's block of person numbers
    event_digits: int

    @property
    def person_width(self) -> int:
        return self.person_digits + 2  # two more digits for the provider index (< 100)

    def person_ids(self, provider: int, serials: np.ndarray) -> "io.pa.Array":
        width = self.person_width
        modulus = np.uint64(10 ** width)
        k = np.uint64(provider) * np.uint64(10 ** self.person_digits) + serials.astype(np.uint64)
        return io.ids("P", (k * np.uint64(_SCRAMBLE % 10 ** width)) % modulus, width)

    def tt_serial(self, n: int, counter: int) -> np.ndarray:
        """Talking Therapies people: the second half of the block (not in MHS001MPI)."""
        return 5 * 10 ** (self.person_digits - 1) + counter + np.arange(n)

    def unknown_serial(self, n: int, counter: int) -> np.ndarray:
        """People in no patient index: the last tenth of the block (planted faults)."""
        return 9 * 10 ** (self.person_digits - 1) + counter + np.arange(n)

    def events(self, letter: str, provider: int, start: int, n: int) -> "io.pa.Array":
        return io.ids(f"{letter}{provider:02d}", start + np.arange(n), self.event_digits)


@dataclass
class People:
    """Column arrays of one provider-year's people, in file order."""

    stratum: np.ndarray
    seen: np.ndarray
    acute: np.ndarray
    serial: np.ndarray
    imd: np.ndarray  # true decile 1-10
    ethnic: object  # recorded EthnicCategory (Arrow)
    status_counts: dict

    def __len__(self) -> int:
        return len(self.stratum)


def draw_people(rng: np.random.Generator, p: Provider, rates: dict, valid_share: float,
                state: dict) -> tuple[People, dict]:
    """Draw the year's people; ``state`` carries last year's people and the serial counter."""
    n_seen = rng.poisson(p.count * rates["contact"])
    n_unseen = rng.poisson(p.count * rates["contact"] * P.NOT_SEEN_SHARE)
    total = n_seen + n_unseen
    stratum = np.repeat(np.arange(len(total)), total)
    starts = np.cumsum(total) - total
    n = len(stratum)
    seen = (np.arange(n) - starts[stratum]) < n_seen[stratum]
    # random order within each stratum decides who recurs from last year
    order = np.lexsort((rng.random(n), stratum))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n) - starts[stratum[order]]
    serial = np.full(n, -1, np.int64)
    if state.get("counts") is not None:
        reuse = np.minimum(rng.binomial(total, P.RECUR_SHARE), state["counts"])
        again = rank < reuse[stratum]
        serial[again] = state["serials"][state["starts"][stratum[again]] + rank[again]]
    new = serial < 0
    serial[new] = state.get("counter", 0) + np.arange(new.sum())
    by_stratum = np.argsort(stratum * (n + 1) + rank, kind="stable")
    next_state = {"counts": total, "starts": starts, "serials": serial[by_stratum],
                  "counter": state.get("counter", 0) + int(new.sum())}
    perm = rng.permutation(n)  # file order must not reveal the strata
    stratum, seen, serial = stratum[perm], seen[perm], serial[perm]
    acute = seen & (rng.random(n) < P.ACUTE_SHARE)
    probs, _ = imd_mix(p)
    imd = rng.choice(np.arange(1, 11), n, p=probs)
    ethnic, counts = draw_mpi(rng, p.true_idx[stratum], acute, valid_share)
    return People(stratum, seen, acute, serial, imd, ethnic, counts), next_state


def mpi_columns(rng: np.random.Generator, p: Provider, people: People, ids: IdSpace) -> dict:
    """MHS001MPI columns for the people (Gender, age, LA and IMD with a few blanks)."""
    n = len(people)
    s = people.stratum
    bounds = np.array([contract.AGE_BAND_BOUNDS[b] for b in contract.AGE_BANDS])
    lo, hi = bounds[p.band[s], 0], np.minimum(bounds[p.band[s], 1], 94)
    age = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    gender_vocab = list(SEXES) + ["9", "X"]
    gender = p.sex[s].copy()
    odd = rng.random(n) < P.ODD_GENDER
    gender[odd] = 2 + rng.integers(0, 2, odd.sum())
    return {
        "Person_ID": ids.person_ids(p.index, people.serial), "OrgIDProv": io.repeat(p.code, n),
        "EthnicCategory": people.ethnic, "Gender": io.codes(gender_vocab, gender),
        "AgeRepPeriodEnd": io.ints(age, rng.random(n) < P.MISSING_AGE),
        "LADistrictAuth": io.codes(p.las, p.la[s]),
        "IMD_Decile": io.ints(people.imd, rng.random(n) < P.MISSING_IMD),
    }


def per_person_rates(rates: dict, people: People) -> dict[str, np.ndarray]:
    """Each seen person's expected coercive events (acute people carry ACUTE_EVENT_SHARE of them), and
    their stratum's justice share of referrals and incidents per restrained person factor."""
    s = people.stratum
    out = {"justice": rates["justice"][s], "incidents": rates["incidents"][s]}
    for kind in P.COERCIVE:
        base = np.divide(rates[kind], rates["contact"], out=np.zeros_like(rates[kind]), where=rates["contact"] > 0)[s]
        scale = np.where(people.acute, P.ACUTE_EVENT_SHARE / P.ACUTE_SHARE,
                         (1 - P.ACUTE_EVENT_SHARE) / (1 - P.ACUTE_SHARE))
        out[kind] = base * scale * people.seen
    return out
