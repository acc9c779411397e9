"""Providers, their catchments and the resident population strata (Census 2021 style).

A stratum is one local authority x census ethnic group (19) x sex x age band. Everything the
generator and the truth need per stratum is a numpy array over the provider's strata.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pipeline import contract
from pipeline.synth import params as P

CENSUS = contract.CENSUS_ETHNIC_GROUPS
TRUE_CODES = contract.VALID_ETHNIC_CODES  # a person's true NHS category (Gypsy/Roma as C, Arab as S)
GROUP_OF_CODE = {c.code: c.group for c in contract.ETHNIC_CATEGORIES}
SEXES = tuple(contract.SEX_CODES)  # ('1', '2')
_SECOND = "ABCDEFGHJKLMNPQRTVWXY"
_THIRD = "123456789ABCDEFGHJKLMNPQRTVWXY"


def true_code(g: contract.CensusEthnicGroup) -> str:
    """The NHS code a person of this census group has when recorded correctly."""
    return g.nhs_code or {"WHITE": "C", "OTHER": "S"}[g.nhs_group]


@dataclass
class Provider:
    """One provider: code, catchment and its planted characteristics."""

    index: int
    code: str
    name: str
    las: list[str]
    white_british: float
    deprivation: float  # -1 least to +1 most deprived catchment
    factors: dict[str, float]
    trend: str = "steady"  # its planted gap trends: narrowing | steady (rates.assign_roles)
    # strata arrays (filled by build_population)
    la: np.ndarray = field(default=None, repr=False)
    ons: np.ndarray = field(default=None, repr=False)  # index into contract.CENSUS_ETHNIC_GROUPS
    sex: np.ndarray = field(default=None, repr=False)  # index into SEXES
    band: np.ndarray = field(default=None, repr=False)  # index into contract.AGE_BANDS
    count: np.ndarray = field(default=None, repr=False)

    @property
    def true_idx(self) -> np.ndarray:
        """Each stratum's true NHS category, as an index into TRUE_CODES."""
        lookup = np.array([TRUE_CODES.index(true_code(g)) for g in CENSUS])
        return lookup[self.ons]

    @property
    def group(self) -> np.ndarray:
        """Each stratum's true NHS group, as an index into params.GROUPS."""
        return np.array([P.GROUPS.index(g.nhs_group) for g in CENSUS])[self.ons]

    def summary(self) -> dict:
        return {"code": self.code, "name": self.name, "las": self.las, "white_british": round(self.white_british, 4),
                "deprivation": round(self.deprivation, 4), "rate_factors": {k: round(v, 4) for k, v in self.factors.items()},
                "population": int(self.count.sum()), "trend": self.trend}


def make_providers(rng: np.random.Generator, scale: str) -> list[Provider]:
    """Providers with trust-like codes (sorted), catchments of 1-4 LAs and a White British share."""
    spec = P.SCALES[scale]
    n = spec.providers
    combos = [f"R{a}{b}" for a in _SECOND for b in _THIRD]
    codes = sorted(combos[i] for i in rng.choice(len(combos), n, replace=False))
    if scale == "sample":
        white = np.array(P.SAMPLE_WHITE_BRITISH)
        n_las = np.array([2, 1, 3])
    else:
        # skewed towards mostly White British catchments, a few inner-city ones (mean ~0.73)
        white = 0.94 - 0.6 * rng.beta(1.3, 2.4, n)
        n_las = rng.integers(1, 5, n)
    sizes = spec.population_per_provider * rng.lognormal(0, spec.size_spread, n) if spec.size_spread else \
        np.full(n, float(spec.population_per_provider))
    sizes *= spec.population_per_provider * n / sizes.sum()
    serial = {"E09": 0, "E08": 0, "E06": 0, "E07": 0}
    providers = []
    for i, code in enumerate(codes):
        prefixes = ["E09"] if white[i] < 0.6 else ["E08", "E06"] if white[i] < 0.85 else ["E06", "E07"]
        las = []
        for j in range(int(n_las[i])):
            prefix = prefixes[j % len(prefixes)]
            serial[prefix] += 1
            las.append(f"{prefix}{serial[prefix]:06d}")
        factors = rng.uniform(1 - P.PROVIDER_VARIATION, 1 + P.PROVIDER_VARIATION, len(P.RATES))
        providers.append(Provider(
            index=i, code=code, name=f"{code} Synthetic Mental Health NHS Trust", las=las,
            white_british=float(white[i]), deprivation=float(np.clip((0.75 - white[i]) * 3, -1, 1)),
            factors={k: float(f) for k, f in zip(P.RATES, factors)},
        ))
        _build_population(rng, providers[-1], float(sizes[i]))
    return providers


def _build_population(rng: np.random.Generator, p: Provider, size: float) -> None:
    """Poisson counts per LA x census group x sex x age band around the provider's mix."""
    ons_codes = [g.ons_code for g in CENSUS]
    others = np.array([P.CENSUS_SHARES[c] if c != 13 else 0.0 for c in ons_codes])
    others = others * rng.lognormal(0, P.MINORITY_MIX_SD, len(others))
    la_weights = rng.dirichlet(np.full(len(p.las), 4.0))
    la_white = np.clip(p.white_british + rng.normal(0, 0.04, len(p.las)), 0.2, 0.97)
    bands = contract.AGE_BANDS
    age = {k: np.array([v[b] for b in bands]) for k, v in P.AGE_SHARES.items()}
    female = np.array([P.FEMALE_SHARE[b] for b in bands])
    la_i, ons_i, sex_i, band_i, expected = [], [], [], [], []
    for li, (w, wb) in enumerate(zip(la_weights, la_white)):
        shares = others / others.sum() * (1 - wb)
        shares[ons_codes.index(13)] = wb
        for oi, code in enumerate(ons_codes):
            ages = age["older" if code in P.OLDER_GROUPS else "younger"]
            for si in range(2):
                sex_share = female if si == 1 else 1 - female
                la_i += [li] * len(bands)
                ons_i += [oi] * len(bands)
                sex_i += [si] * len(bands)
                band_i += list(range(len(bands)))
                expected.append(size * w * shares[oi] * ages * sex_share)
    p.la, p.ons, p.sex, p.band = (np.array(x, dtype=np.int64) for x in (la_i, ons_i, sex_i, band_i))
    p.count = rng.poisson(np.concatenate(expected)).astype(np.int64)


def fsum(values: np.ndarray) -> float:
    """A correctly rounded sum. numpy's pairwise sums and matrix products round differently with
    the CPU's SIMD and BLAS kernels; truth.json must be the same bytes on every machine."""
    return math.fsum(np.ravel(values).tolist())


def imd_mix(p: Provider) -> tuple[np.ndarray, np.ndarray]:
    """The provider's IMD decile probabilities and detention factors (mean 1 over that mix)."""
    d = np.arange(1, 11)
    weights = np.clip(1 + P.IMD_DEPRIVATION_TILT * (5.5 - d) * p.deprivation, 0.05, None)
    probs = weights / fsum(weights)
    factor = P.IMD_RATIO ** ((10 - d) / 9)
    return probs, factor / fsum(probs * factor)


def population_table(providers: list[Provider]) -> dict[str, np.ndarray]:
    """The reference Population rows as column arrays (Year 2021)."""
    las = np.concatenate([np.array(p.las)[p.la] for p in providers])
    ons = np.concatenate([np.array([g.ons_code for g in CENSUS])[p.ons] for p in providers])
    return {"LADistrictAuth": las, "Year": np.full(len(las), 2021), "EthnicGroupCensus": ons,
            "Sex": np.concatenate([np.array(SEXES)[p.sex] for p in providers]),
            "AgeBand": np.concatenate([np.array(contract.AGE_BANDS)[p.band] for p in providers]),
            "Count": np.concatenate([p.count for p in providers])}
