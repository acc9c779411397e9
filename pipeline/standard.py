"""Standard populations for direct standardisation, mapped to the extract's age bands."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import contract

REFERENCE = Path(__file__).parent / "reference"


def standard_population(name: str = "esp2013", bands: tuple[str, ...] = contract.AGE_BANDS) -> dict[str, float]:
    """Weights of the standard population for each of ``bands``.

    The five-year groups are spread evenly over their single years of age and summed into the
    extract's bands (:func:`pipeline.contract.population_band_shares`, the same rule as a
    population file in five-year bands), so 16-17 takes two fifths of 15-19; 90+ is in 65+.
    """
    table = pd.read_csv(REFERENCE / f"{name}.csv", comment="#")
    shares: dict[str, list[tuple[str, float]]] = {}
    for source, band, share in contract.population_band_shares():
        shares.setdefault(source, []).append((band, share))
    weights = dict.fromkeys(contract.AGE_BANDS, 0.0)
    for source, weight in zip(table["age_band"], table["population"]):
        if source not in shares:
            raise ValueError(f"standard population {name}: age band {source!r} is not a five-year band")
        for band, share in shares[source]:
            weights[band] += weight * share
    return {b: weights[b] for b in bands}
